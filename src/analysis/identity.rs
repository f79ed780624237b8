//! What software a service runs, decided once for every rule: its base image
//! ([`crate::compose::base`]), named as a well-known product when the image is
//! one or a derivative of one (`postgis/postgis` and `bitnami/postgresql` run
//! postgres), from [`crate::knowledge`].

use crate::compose::base::{base_image, Base};
use crate::compose::model::Service;
use crate::compose::stack::Project;
use crate::knowledge::{known, Known};

/// What `svc` runs: its base image, and the product when it is a known one.
pub fn software<'s>(p: &Project, svc: &'s Service) -> Option<(&'s Base, Option<&'static Known>)> {
    let base = base_image(p, svc)?;
    let k = known(&base.image);
    Some((base, k))
}
