//! Loading one plugin library through abi_stable.
//!
//! Each library is loaded with `lib_header_from_path(path)?.init_root_module()`
//! rather than `RootModule::load_from_file`, which caches one module per
//! interface type per process (a second plugin would silently get the first).

use std::path::{Path, PathBuf};

use abi_stable::library::{lib_header_from_path, LibraryError, RootModule};
use abi_stable::sabi_types::{VersionNumber, VersionStrings};
use abi_stable::std_types::{RResult, RStr};
use plugin_api::ffi::{HostContextBox, PluginModuleRef, ProcessorBox, ABI_VERSION};

/// A library whose root module passed the version and layout checks.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// Where it was loaded from.
    pub path: PathBuf,
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
        check_abi_version(path, header.version_strings())?;
        let module = header
            .init_root_module::<PluginModuleRef>()
            .map_err(|e| classify(path, e))?;
        let info = (module.info())();
        Ok(LoadedPlugin {
            path: path.to_owned(),
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
fn check_abi_version(path: &Path, library: VersionStrings) -> Result<(), PluginLoadError> {
    let incompatible = || PluginLoadError::IncompatibleAbi {
        path: path.to_owned(),
        expected: ABI_VERSION.to_owned(),
        found: library.to_string(),
    };
    let host = VersionNumber::new(PluginModuleRef::VERSION_STRINGS).map_err(|_| incompatible())?;
    let found = VersionNumber::new(library).map_err(|_| incompatible())?;
    let compatible = host.major == found.major && (host.major != 0 || host.minor == found.minor);
    if compatible {
        Ok(())
    } else {
        Err(incompatible())
    }
}

fn classify(path: &Path, error: LibraryError) -> PluginLoadError {
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
            detail: detail.to_string(),
        },
        other => PluginLoadError::Open {
            path: path.to_owned(),
            detail: other.to_string().trim().to_owned(),
        },
    }
}
