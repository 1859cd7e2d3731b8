//! Loading one plugin library through abi_stable.
//!
//! Each library is loaded with `lib_header_from_path(path)?.init_root_module()`
//! rather than `RootModule::load_from_file`, which caches one module per
//! interface type per process (a second plugin would silently get the first).
//!
//! abi_stable's own errors are written for its developers (multi-line, with
//! mangled symbol names and Debug dumps); [`classify`] turns each into one
//! line an operator can act on.

use std::path::{Path, PathBuf};

use abi_stable::abi_stability::abi_checking::check_layout_compatibility;
use abi_stable::library::{
    lib_header_from_path, LibraryError, RootModule, RootModuleError, ROOT_MODULE_LOADER_NAME,
};
use abi_stable::sabi_types::{VersionNumber, VersionStrings};
use abi_stable::std_types::{RResult, RStr};
use abi_stable::type_layout::TypeLayout;
use abi_stable::StableAbi;
use plugin_api::ffi::{HostContextBox, PluginModuleRef, ProcessorBox, ABI_VERSION};

/// A library whose root module passed the version and layout checks.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// The library as the manifest names it (for messages and listings; the
    /// same as `private_copy` when opened directly).
    pub path: PathBuf,
    /// The file actually opened (the registry's private copy).
    pub private_copy: PathBuf,
    /// The plugin ABI version the library was built against, e.g. `1.1.0`.
    pub abi: String,
    /// The plugin's name.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The codes the plugin declares.
    pub declared_codes: Vec<i32>,
    module: PluginModuleRef,
}

/// Why a plugin could not be loaded or started.
#[derive(Debug, thiserror::Error)]
pub enum PluginLoadError {
    /// The file does not exist.
    #[error("plugin library {path} does not exist")]
    Missing {
        /// Library path.
        path: PathBuf,
    },
    /// Built against an incompatible plugin-api.
    #[error(
        "plugin library {path} was built against plugin-api ABI {found}, \
         but this broker expects ABI {expected}; rebuild the plugin against this broker's plugin-api"
    )]
    IncompatibleAbi {
        /// Library path.
        path: PathBuf,
        /// The host's ABI version.
        expected: String,
        /// The library's ABI version.
        found: String,
    },
    /// The library's types do not match the host's.
    #[error("plugin library {path} has an incompatible layout: {detail}")]
    IncompatibleLayout {
        /// Library path.
        path: PathBuf,
        /// abi_stable's report.
        detail: String,
    },
    /// A shared library without the plugin root module.
    #[error(
        "no export_plugin! in {path}: it is a shared library but not a broker plugin \
         (a plugin crate has crate-type = [\"cdylib\"] and ends with plugin_api::export_plugin!(YourPlugin))"
    )]
    NotAPlugin {
        /// Library path.
        path: PathBuf,
    },
    /// Not a plugin library, or it could not be opened.
    #[error("cannot load plugin library {path}: {detail}")]
    Open {
        /// Library path.
        path: PathBuf,
        /// Cause.
        detail: String,
    },
    /// The manifest asks for a code the plugin does not serve.
    #[error("plugin {plugin} ({path}) does not serve request code {code}; it serves {declared:?}")]
    UndeclaredCode {
        /// Plugin name.
        plugin: String,
        /// Library path.
        path: PathBuf,
        /// The code asked for.
        code: i32,
        /// The codes it declares.
        declared: Vec<i32>,
    },
    /// The plugin's constructor refused or panicked.
    #[error("plugin {plugin} ({path}) failed to start: {message}")]
    Constructor {
        /// Plugin name.
        plugin: String,
        /// Library path.
        path: PathBuf,
        /// The constructor's message.
        message: String,
    },
}

impl LoadedPlugin {
    /// Opens `path` and checks that it is a plugin built against a compatible
    /// plugin-api.
    pub fn open(path: &Path) -> Result<LoadedPlugin, PluginLoadError> {
        if !path.exists() {
            return Err(PluginLoadError::Missing {
                path: path.to_owned(),
            });
        }
        let header = lib_header_from_path(path).map_err(|e| classify(path, e))?;
        let abi = header.version_strings().to_string();
        let library_version = check_abi_version(path, header.version_strings())?;
        check_layout(path, header.layout(), library_version)?;
        // SAFETY: `check_layout` compared the library's root-module layout
        // with the host's, type by type, in the direction its ABI minor
        // calls for.
        let module = unsafe { header.init_root_module_with_unchecked_layout::<PluginModuleRef>() }
            .map_err(|e| classify(path, e))?;
        let info = (module.info())();
        Ok(LoadedPlugin {
            path: path.to_owned(),
            private_copy: path.to_owned(),
            abi,
            name: info.name.into_string(),
            version: info.version.into_string(),
            declared_codes: info.request_codes.into_vec(),
            module,
        })
    }

    /// Checks that every code in `wanted` is declared; `None` = all declared codes.
    pub fn serve_codes(&self, wanted: Option<&[i32]>) -> Result<Vec<i32>, PluginLoadError> {
        let Some(wanted) = wanted else {
            return Ok(self.declared_codes.clone());
        };
        for &code in wanted {
            if !self.declared_codes.contains(&code) {
                return Err(PluginLoadError::UndeclaredCode {
                    plugin: self.name.clone(),
                    path: self.path.clone(),
                    code,
                    declared: self.declared_codes.clone(),
                });
            }
        }
        Ok(wanted.to_vec())
    }

    /// Builds a processor (the constructor runs inside the plugin's panic guard).
    pub fn new_processor(
        &self,
        host: HostContextBox,
        settings_json: &str,
    ) -> Result<ProcessorBox, PluginLoadError> {
        match (self.module.new_processor())(host, RStr::from(settings_json)) {
            RResult::ROk(processor) => Ok(processor),
            RResult::RErr(message) => Err(PluginLoadError::Constructor {
                plugin: self.name.clone(),
                path: self.path.clone(),
                message: message.into_string(),
            }),
        }
    }
}

/// Stricter than abi_stable's own check (which accepts a library with a newer
/// minor version): the ABI versions must agree on major and, for 0.x, minor,
/// so a mismatch is reported with both versions instead of surfacing later
/// as a layout difference.
fn check_abi_version(
    path: &Path,
    library: VersionStrings,
) -> Result<VersionNumber, PluginLoadError> {
    let incompatible = || PluginLoadError::IncompatibleAbi {
        path: path.to_owned(),
        expected: ABI_VERSION.to_owned(),
        found: library.to_string(),
    };
    let host = VersionNumber::new(PluginModuleRef::VERSION_STRINGS).map_err(|_| incompatible())?;
    let found = VersionNumber::new(library).map_err(|_| incompatible())?;
    let compatible = host.major == found.major && (host.major != 0 || host.minor == found.minor);
    if compatible {
        Ok(found)
    } else {
        Err(incompatible())
    }
}

/// abi_stable's own check takes the host as the interface, which refuses a
/// library with fewer fields in a prefix type: a plugin built against an
/// older minor ABI. Such a plugin is checked the other way round: every type
/// it knows must be as the host has it, and the host's extra methods are
/// ones it never calls (host context) or optional ones the host falls back
/// from at run time (processor), since a prefix-type vtable records how many
/// fields each instance has.
fn check_layout(
    path: &Path,
    library: Option<&'static TypeLayout>,
    library_version: VersionNumber,
) -> Result<(), PluginLoadError> {
    let Some(library) = library else {
        return Err(PluginLoadError::IncompatibleLayout {
            path: path.to_owned(),
            detail: "the library does not export its root module's layout".to_owned(),
        });
    };
    let host_layout = <PluginModuleRef as StableAbi>::LAYOUT;
    let host_version = VersionNumber::new(PluginModuleRef::VERSION_STRINGS).map_err(|error| {
        PluginLoadError::IncompatibleLayout {
            path: path.to_owned(),
            detail: error.to_string(),
        }
    })?;
    let checked = if library_version.minor < host_version.minor {
        check_layout_compatibility(library, host_layout)
    } else {
        check_layout_compatibility(host_layout, library)
    };
    checked.map_err(|errors| PluginLoadError::IncompatibleLayout {
        path: path.to_owned(),
        detail: errors.to_string(),
    })
}

/// One plain line per abi_stable error (see the module comment).
fn classify(path: &Path, error: LibraryError) -> PluginLoadError {
    let open = |detail: String| PluginLoadError::Open {
        path: path.to_owned(),
        detail,
    };
    match error {
        LibraryError::IncompatibleVersionNumber { actual_version, .. } => {
            PluginLoadError::IncompatibleAbi {
                path: path.to_owned(),
                expected: ABI_VERSION.to_owned(),
                found: actual_version.to_string(),
            }
        }
        LibraryError::AbiInstability(detail) => PluginLoadError::IncompatibleLayout {
            path: path.to_owned(),
            detail: one_line(&detail.to_string()),
        },
        LibraryError::OpenError { err, .. } => open(dlopen_reason(path, &err.to_string())),
        LibraryError::GetSymbolError { symbol, .. }
            if symbol.starts_with(ROOT_MODULE_LOADER_NAME.as_bytes()) =>
        {
            PluginLoadError::NotAPlugin {
                path: path.to_owned(),
            }
        }
        LibraryError::GetSymbolError { symbol, err, .. } => open(format!(
            "symbol {} cannot be looked up: {}",
            String::from_utf8_lossy(&symbol).trim_end_matches('\0'),
            dlopen_reason(path, &err.to_string())
        )),
        LibraryError::ParseVersionError(error) => open(format!(
            "its plugin ABI version cannot be read: {}",
            one_line(&error.to_string())
        )),
        LibraryError::RootModule { err, .. } => open(match err {
            RootModuleError::Unwound => "its root module panicked while loading".to_owned(),
            RootModuleError::Returned(error) => format!(
                "its root module refused to load: {}",
                one_line(&error.to_string())
            ),
        }),
        LibraryError::InvalidAbiHeader(header) => open(format!(
            "it was built with abi_stable's ABI {}.{}, incompatible with this broker's; \
             rebuild it against this broker's plugin-api",
            header.abi_major, header.abi_minor
        )),
        LibraryError::InvalidCAbi { .. } => open(
            "its C calling convention differs from this broker's (another compiler or target); \
             rebuild it with the broker's toolchain"
                .to_owned(),
        ),
        LibraryError::Many(errors) => {
            let mut errors = errors.into_iter().map(|e| classify(path, e));
            match (errors.next(), errors.next()) {
                (Some(only), None) => only,
                (Some(first), Some(second)) => {
                    let rest: Vec<String> = std::iter::once(second)
                        .chain(errors)
                        .map(|e| e.to_string())
                        .collect();
                    open(format!("{first}; also: {}", rest.join("; ")))
                }
                (None, _) => open("the library could not be loaded".to_owned()),
            }
        }
    }
}

/// `dlopen`'s message names the file it opened (the private copy) first;
/// what follows is the reason, e.g. "invalid ELF header", said plainly.
fn dlopen_reason(path: &Path, message: &str) -> String {
    let shown = path.display().to_string();
    let reason = message
        .trim()
        .strip_prefix(shown.as_str())
        .map(|rest| rest.trim_start_matches(':').trim())
        .unwrap_or(message.trim());
    let plain = if reason.contains("invalid ELF header")
        || reason.contains("file too short")
        || reason.contains("not in executable format")
    {
        "not a shared library"
    } else if reason.contains("wrong ELF class") || reason.contains("ELF file's phentsize") {
        "built for another architecture"
    } else if reason.contains("undefined symbol") {
        "it needs a symbol this process does not have (built against other libraries)"
    } else {
        return one_line(reason);
    };
    format!("{plain} ({reason})")
}

/// Collapses abi_stable's multi-line reports into one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(path: &Path) -> String {
        match LoadedPlugin::open(path) {
            Ok(plugin) => panic!("{} loaded as plugin {}", path.display(), plugin.name),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_file_that_is_not_a_library_is_said_so_in_one_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("libgarbage.so");
        std::fs::write(&path, vec![0x5a; 4096]).expect("write");
        let text = error_text(&path);
        assert!(
            text.starts_with(&format!(
                "cannot load plugin library {}: not a shared library (",
                path.display()
            )),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
    }

    /// A real shared library that is no plugin: the C library this test
    /// process is linked with (found in its own memory map).
    #[test]
    fn a_shared_library_without_the_root_module_names_export_plugin() {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let Some(libc) = maps
            .lines()
            .filter_map(|line| line.split_whitespace().nth(5))
            .find(|path| path.contains("/libc.so") || path.contains("/libc-"))
        else {
            eprintln!("skipped: no libc in /proc/self/maps");
            return;
        };
        let text = error_text(Path::new(libc));
        assert_eq!(
            text.split(':').next(),
            Some(format!("no export_plugin! in {libc}").as_str()),
            "{text}"
        );
        assert!(!text.contains("_as_") && !text.contains('\n'), "{text}");
    }

    #[test]
    fn dlopen_reasons_lose_the_copy_path() {
        let path = Path::new("/copies/libx-1.so");
        assert_eq!(
            dlopen_reason(path, "/copies/libx-1.so: invalid ELF header"),
            "not a shared library (invalid ELF header)"
        );
        assert_eq!(
            dlopen_reason(path, "something else\n happened"),
            "something else happened"
        );
    }
}
