//! The immutable request-code table (RocketMQ's `processorTable`).

use std::collections::HashMap;
use std::sync::Arc;

use super::pool::ProcessorPool;
use crate::remoting::PortKind;

/// Code → pool, per listener. Built whole, then installed atomically.
#[derive(Default)]
pub struct DispatchTable {
    main: HashMap<i32, Arc<ProcessorPool>>,
    fast: HashMap<i32, Arc<ProcessorPool>>,
    pools: Vec<Arc<ProcessorPool>>,
}

/// Two processors claim one code.
#[derive(Debug, thiserror::Error)]
#[error("request code {code} is served by both {first} and {second}")]
pub struct DuplicateCode {
    /// The code.
    pub code: i32,
    /// The processor that had it.
    pub first: String,
    /// The processor that also wants it.
    pub second: String,
}

impl DispatchTable {
    /// Adds a pool for its codes; a code may be served by one processor only.
    pub fn add(&mut self, pool: Arc<ProcessorPool>) -> Result<(), DuplicateCode> {
        for &code in &pool.info().codes {
            if let Some(existing) = self.main.get(&code) {
                return Err(DuplicateCode {
                    code,
                    first: existing.info().name.clone(),
                    second: pool.info().name.clone(),
                });
            }
        }
        for &code in &pool.info().codes {
            self.main.insert(code, pool.clone());
            if pool.info().fast_port && !pool.info().main_port_only_codes.contains(&code) {
                self.fast.insert(code, pool.clone());
            }
        }
        self.pools.push(pool);
        Ok(())
    }

    /// The pool serving `code` on `port`.
    pub fn lookup(&self, port: PortKind, code: i32) -> Option<Arc<ProcessorPool>> {
        match port {
            PortKind::Main => self.main.get(&code).cloned(),
            PortKind::Fast => self.fast.get(&code).cloned(),
        }
    }

    /// Every pool, in manifest order.
    pub fn pools(&self) -> &[Arc<ProcessorPool>] {
        &self.pools
    }
}
