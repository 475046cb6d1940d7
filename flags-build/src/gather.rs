//! Reading every source of a sync: files from disk, remote sources over the network.

use std::path::Path;

use flags_schema::Manifest;

use crate::{Error, Source};
#[cfg(feature = "http")]
use crate::{fetch, time};

/// One imported manifest per source, in order, each with its provenance.
pub(crate) fn gather(
    sources: &[Source],
    root: Option<&Path>,
) -> Result<Vec<(String, Manifest)>, Error> {
    let mut fetched_at: Option<String> = None;
    #[cfg(feature = "http")]
    let mut answers = {
        let remote: Vec<&Source> = sources.iter().filter(|s| s.is_remote()).collect();
        if !remote.is_empty() {
            fetched_at = Some(time::now_rfc3339());
        }
        fetch::fetch_all(&remote).into_iter()
    };
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let name = source.to_string();
        if !source.is_remote() {
            let mut manifest = source.read_file(root)?;
            for provenance in &mut manifest.sources {
                if provenance.kind == flags_schema::SourceKind::File {
                    provenance.location = source.recorded_location(None);
                }
            }
            out.push((name, manifest));
            continue;
        }
        #[cfg(not(feature = "http"))]
        {
            let _ = &mut fetched_at;
            return Err(Error::NoHttp { source_name: name });
        }
        #[cfg(feature = "http")]
        {
            let answer = answers
                .next()
                .unwrap_or_else(|| unreachable!("one answer per remote source"))?;
            let origin = source
                .recorded_location(Some(&answer.url))
                .unwrap_or_else(|| name.clone());
            let detected = flags_schema::Format::detect(&answer.document);
            if let (Some(expected), Some(found)) = (source.expected_format(), &detected)
                && expected.as_str() != found.as_str()
                && *found != flags_schema::Format::Lock
            {
                return Err(Error::Fetch {
                    source_name: name,
                    message: format!(
                        "expected a {expected} document, but the answer looks like {found}"
                    ),
                    unreachable: false,
                });
            }
            let mut manifest = match source.expected_format() {
                Some(format) => flags_schema::import_as(format, &answer.document, &origin),
                None => flags_schema::import(&answer.document, &origin),
            }
            .map_err(|error| Error::Fetch {
                source_name: name.clone(),
                // The source's name says where the document came from.
                message: error.without_origin().to_string(),
                unreachable: false,
            })?;
            let format = manifest
                .sources
                .first()
                .map_or(detected.unwrap_or(flags_schema::Format::Lock), |p| {
                    p.format.clone()
                });
            manifest.sources = vec![flags_schema::Provenance {
                kind: source.kind(),
                format,
                location: Some(origin),
                fetched_at: fetched_at.clone(),
            }];
            out.push((name, manifest));
        }
    }
    Ok(out)
}
