//! The end-to-end suite: one test binary (each module was a file of its own),
//! so the stock-client stack is linked once rather than once per file.

mod admin_operations;
mod admin_plugin;
mod crash_recovery;
mod crash_sync_flush;
mod custom_plugin;
mod dispatch;
mod heartbeat_compat;
mod hostile_input;
mod hot_swap;
mod lifecycle;
mod malformed_frames;
mod metrics;
mod namesrv_registration;
mod operations_stats;
mod operator_cli;
mod plugin_loading;
mod recall;
mod reload_atomic;
mod request_reply;
mod route_lookup;
mod send_pull_wire;
mod sql92_filter;
mod startup;
mod stock_client_orderly;
mod stock_client_produce_consume;
mod stock_client_query;
mod stock_client_rebalance;
mod stock_client_restart;
mod stock_client_route;
mod transactions;
