//! Merging the manifests of several sources into one lock.

use std::collections::BTreeMap;

use flags_schema::Manifest;

use crate::Error;

/// Merges `parts` (source name, manifest) in order. A key in two sources must have one type;
/// when its definitions differ otherwise, the first source wins and a warning says so. Flag-set
/// metadata and `$evaluators` merge the same way, first source first.
pub(crate) fn merge(
    parts: Vec<(String, Manifest)>,
    warnings: &mut Vec<String>,
) -> Result<Manifest, Error> {
    let mut merged = Manifest::new();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let single = parts.len() == 1;
    for (name, manifest) in parts {
        if single {
            merged.metadata = manifest.metadata;
            merged.evaluators = manifest.evaluators;
            merged.flags = manifest.flags;
            merged.sources = manifest.sources;
            break;
        }
        for (key, flag) in manifest.flags {
            match merged.flags.get(&key) {
                None => {
                    owner.insert(key.clone(), name.clone());
                    merged.flags.insert(key, flag);
                }
                Some(first) if first.flag_type != flag.flag_type => {
                    return Err(Error::Conflict {
                        first: owner[&key].clone(),
                        first_type: first.flag_type,
                        second: name,
                        second_type: flag.flag_type,
                        key,
                    });
                }
                Some(first) if *first != flag => warnings.push(format!(
                    "flag `{key}` is defined differently in {} and {name}; the first is kept",
                    owner[&key]
                )),
                Some(_) => {}
            }
        }
        for (key, value) in manifest.metadata {
            merged.metadata.entry(key).or_insert(value);
        }
        for (key, value) in manifest.evaluators {
            match merged.evaluators.get(&key) {
                None => {
                    merged.evaluators.insert(key, value);
                }
                Some(first) if *first != value => warnings.push(format!(
                    "evaluator `{key}` is defined differently in two sources; the first is kept ({name} is ignored)"
                )),
                Some(_) => {}
            }
        }
        merged.sources.extend(manifest.sources);
    }
    merged.validate("the merged sources")?;
    merged.content_hash = Some(merged.compute_hash());
    Ok(merged)
}
