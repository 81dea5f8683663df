//! The compute API's route table: which handler serves each path and method of
//! `osapi_compute` (and the `/image` stand-in), 404 itemNotFound for unknown paths, 405
//! badMethod for unknown methods, the 1 MiB body limit, and the [middleware](super::middleware)
//! around it all.

use actix_web::dev::{Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpResponse, Resource};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::middleware::RequestStamp;
use super::{
    aggregates, flavors, hypervisors, images, keypairs, migrations, project_prefix, server_groups,
    servers, services, versions,
};

/// The app every HTTP worker serves, on `state`.
pub fn app(
    state: ApiState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(1 << 20))
        .service(resource("/").route(web::get().to(versions::root)))
        .service(resource("/v2.1").route(web::get().to(versions::v21)))
        .service(resource("/v2.1/").route(web::get().to(versions::v21)))
        .service(resource("/v2.1/flavors").route(web::get().to(flavors::list)))
        .service(resource("/v2.1/flavors/detail").route(web::get().to(flavors::detail)))
        .service(resource("/v2.1/flavors/{id}").route(web::get().to(flavors::show)))
        .service(
            resource("/v2.1/servers")
                .route(web::get().to(servers::list::list))
                .route(web::post().to(servers::create::create)),
        )
        .service(resource("/v2.1/servers/detail").route(web::get().to(servers::list::detail)))
        .service(
            resource("/v2.1/servers/{id}")
                .route(web::get().to(servers::show::show))
                .route(web::put().to(servers::update::update))
                .route(web::delete().to(servers::delete::delete)),
        )
        .service(
            resource("/v2.1/servers/{id}/metadata")
                .route(web::get().to(servers::metadata::index))
                .route(web::post().to(servers::metadata::create))
                .route(web::put().to(servers::metadata::update_all)),
        )
        .service(
            resource("/v2.1/servers/{id}/metadata/{key}")
                .route(web::get().to(servers::metadata::show))
                .route(web::put().to(servers::metadata::update))
                .route(web::delete().to(servers::metadata::delete)),
        )
        .service(
            resource("/v2.1/servers/{id}/tags")
                .route(web::get().to(servers::tags::index))
                .route(web::put().to(servers::tags::update_all))
                .route(web::delete().to(servers::tags::delete_all)),
        )
        .service(
            resource("/v2.1/servers/{id}/tags/{tag}")
                .route(web::get().to(servers::tags::show))
                .route(web::put().to(servers::tags::update))
                .route(web::delete().to(servers::tags::delete)),
        )
        .service(
            resource("/v2.1/servers/{id}/diagnostics")
                .route(web::get().to(servers::diagnostics::diagnostics)),
        )
        .service(
            resource("/v2.1/servers/{id}/topology")
                .route(web::get().to(servers::diagnostics::topology)),
        )
        .service(
            resource("/v2.1/servers/{id}/action").route(web::post().to(servers::actions::action)),
        )
        .service(
            resource("/v2.1/servers/{id}/migrations")
                .route(web::get().to(servers::server_migrations::index)),
        )
        .service(
            resource("/v2.1/servers/{id}/migrations/{migration_id}")
                .route(web::get().to(servers::server_migrations::show))
                .route(web::delete().to(servers::server_migrations::delete)),
        )
        .service(
            resource("/v2.1/servers/{id}/migrations/{migration_id}/action")
                .route(web::post().to(servers::server_migrations::action)),
        )
        .service(
            resource("/v2.1/servers/{id}/os-instance-actions")
                .route(web::get().to(servers::instance_actions::index)),
        )
        .service(
            resource("/v2.1/servers/{id}/os-instance-actions/{request_id}")
                .route(web::get().to(servers::instance_actions::show)),
        )
        .service(
            resource("/v2.1/servers/{id}/os-server-password")
                .route(web::get().to(servers::server_password::show))
                .route(web::delete().to(servers::server_password::clear)),
        )
        .service(resource("/v2.1/servers/{id}/ips").route(web::get().to(servers::ips::index)))
        .service(
            resource("/v2.1/servers/{id}/ips/{network_label}")
                .route(web::get().to(servers::ips::show)),
        )
        .service(resource("/v2.1/os-services").route(web::get().to(services::list)))
        .service(resource("/v2.1/os-services/{id}").route(web::put().to(services::update)))
        .service(resource("/v2.1/os-hypervisors").route(web::get().to(hypervisors::list)))
        .service(resource("/v2.1/os-hypervisors/detail").route(web::get().to(hypervisors::detail)))
        .service(resource("/v2.1/os-hypervisors/{id}").route(web::get().to(hypervisors::show)))
        .service(
            resource("/v2.1/os-hypervisors/{id}/uptime").route(web::get().to(hypervisors::uptime)),
        )
        .service(resource("/v2.1/os-migrations").route(web::get().to(migrations::index)))
        .service(resource("/v2.1/os-aggregates").route(web::get().to(aggregates::list)))
        .service(
            resource("/v2.1/os-server-groups")
                .route(web::get().to(server_groups::index))
                .route(web::post().to(server_groups::create)),
        )
        .service(
            resource("/v2.1/os-server-groups/{id}")
                .route(web::get().to(server_groups::show))
                .route(web::delete().to(server_groups::delete)),
        )
        .service(
            resource("/v2.1/os-keypairs")
                .route(web::get().to(keypairs::index))
                .route(web::post().to(keypairs::create)),
        )
        .service(
            resource("/v2.1/os-keypairs/{name}")
                .route(web::get().to(keypairs::show))
                .route(web::delete().to(keypairs::delete)),
        )
        .service(resource("/image").route(web::get().to(images::versions)))
        .service(resource("/image/v2").route(web::get().to(images::versions)))
        .service(resource("/image/v2/").route(web::get().to(images::versions)))
        .service(resource("/image/v2/images").route(web::get().to(images::list)))
        .service(
            resource("/image/v2/images/{id}")
                .route(web::get().to(images::show))
                .route(web::delete().to(images::delete)),
        )
        .default_service(web::to(not_found))
        .wrap_fn(|mut req, srv| {
            let stamp = RequestStamp::begin(&req);
            project_prefix::strip(&mut req);
            let response = srv.call(req);
            async move { Ok(stamp.finish(response.await?)) }
        })
}

/// A route whose other methods get 405 badMethod.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(bad_method))
}

async fn not_found() -> Result<HttpResponse, ApiFault> {
    Err(ApiFault::not_found("The resource could not be found."))
}

async fn bad_method() -> Result<HttpResponse, ApiFault> {
    Err(ApiFault::bad_method(
        "The method specified is not allowed for this resource.",
    ))
}
