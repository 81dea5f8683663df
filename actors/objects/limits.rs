//! Limits more than one service enforces, kept in one place so they cannot drift apart.

/// The most instances one create may ask for (novactor has no quotas yet): the api refuses
/// a bigger create, the scheduler a bigger `select_destinations`.
pub const MAX_INSTANCES_PER_REQUEST: u32 = 1000;
