//! The samples novactor refuses with a 400 naming the field.

/// Samples novactor answers with a 400 naming the field it cannot honour yet (the sample,
/// the field named), as `actors/api/servers/create_fields.rs` refuses them.
pub(super) const REFUSED: &[(&str, &str)] = &[
    // Boot from volume: there is no volume service.
    (
        "servers/v2.32/server-create-req.json.tpl",
        "block_device_mapping_v2",
    ),
    (
        "servers/v2.42/server-create-req.json.tpl",
        "block_device_mapping_v2",
    ),
    (
        "servers/v2.67/server-create-req.json.tpl",
        "block_device_mapping_v2",
    ),
    // Images are not signed or verified.
    (
        "servers/v2.63/server-create-req.json.tpl",
        "trusted_image_certificates",
    ),
    (
        "servers/v2.66/server-create-req.json.tpl",
        "trusted_image_certificates",
    ),
    (
        "servers/v2.63/server-action-rebuild.json.tpl",
        "trusted_image_certificates",
    ),
];
