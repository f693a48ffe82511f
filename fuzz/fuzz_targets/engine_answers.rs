//! Any bytes give engine answers or typed errors: the container list, a container, an image, `/info` (platform and
//! mirrors), `/version`, the ping's `Api-Version`, podman's image history, an events line, `docker inspect` output,
//! and a docker context's `config.json` and `meta.json`. What parses assembles into workloads without a panic, and
//! every error message is short and holds no control character.
//! Input: the first byte picks the image answer's share (the rest is split there into a list and an image).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_inventory::internal::answers::{
    parse_container, parse_containers, parse_error_message, parse_event, parse_image, parse_info, parse_info_mirrors, parse_libpod_image,
    parse_ping_version, parse_version,
};
use oci_inventory::internal::assemble::Assembly;
use oci_inventory::internal::context::{context_name, parse_context_meta};
use oci_inventory::{Error, Source, parse_inspect};

fn check(err: &Error) {
    let message = err.to_string();
    assert!(message.len() < 4096, "{message}");
    assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else { return };
    let at = body.len() * usize::from(split) / 255;
    let (list, image) = body.split_at(at);
    for result in [
        parse_container(body).map(drop),
        parse_info(body).map(drop),
        parse_info_mirrors(body).map(drop),
        parse_version(body).map(drop),
        parse_ping_version(body).map(drop),
        parse_libpod_image(body).map(drop),
        parse_inspect(body, None).map(drop),
        parse_event(body).map(drop),
        context_name(None, Some(body)).map(drop),
        context_name(std::str::from_utf8(body).ok(), None).map(drop),
        parse_context_meta("ctx", body, split % 2 == 0).map(drop),
    ] {
        if let Err(err) = result {
            check(&err);
        }
    }
    let _ = parse_error_message(body);
    let containers = match parse_containers(list) {
        Ok(containers) => containers,
        Err(err) => return check(&err),
    };
    for source in [Source::Docker, Source::Podman] {
        let mut assembly = Assembly::new(source, containers.clone());
        let details = parse_image(image).map_err(|err| check(&err)).ok();
        for id in assembly.images_needed() {
            assembly.add_image(id, details.clone());
        }
        for container in assembly.containers_needed() {
            assembly.add_configured(&container, String::from_utf8_lossy(image).into_owned());
        }
        let _ = assembly.needs_engine_platform();
        match assembly.finish() {
            Ok(workloads) => {
                for workload in workloads {
                    let _ = workload.image().to_string();
                    let _ = workload.digests();
                }
            }
            Err(err) => check(&err),
        }
    }
});
