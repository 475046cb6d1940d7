// `app::UiConfig` was generated for `ui-config` (`{density}`); `layout` is `{columns}`.
flags::flags!(pub mod app);

#[derive(flags::Flags)]
struct Page {
    ui_config: app::UiConfig,
    layout: app::UiConfig,
}

fn main() {}
