//! `update --verify-key`: the signatures of what each update proposes (the tag's new image, and with `--newer` the
//! newer version), judged as `oci-check verify` judges them, and whether the image in use had the same signer.

use oci_registry::Client;

use super::Outcome;
use crate::verify::{SignatureRecord, TrustConfig, judge_digests};

/// The signatures of one entry's proposals.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// The tag's new image, when there is an update.
    pub(crate) latest: Option<SignatureRecord>,
    /// The newer version found by `--newer`.
    pub(crate) newer: Option<SignatureRecord>,
    /// Whether the image in use was signed by the same key as the new one; `None` when either is not verified.
    pub(crate) same_signer: Option<bool>,
    /// `--require-signed`: a proposal that is not verified is untrusted.
    pub(crate) required: bool,
}

impl Signed {
    /// Whether `--require-signed` refuses a proposal of this entry.
    pub(crate) fn untrusted(&self) -> bool {
        self.required
            && [&self.latest, &self.newer]
                .into_iter()
                .flatten()
                .any(|record| !record.verified())
    }
}

/// The signatures for every outcome, in order (`None` for failures and for checks that propose nothing).
pub(crate) async fn judge(
    client: &Client,
    outcomes: &[Outcome],
    trust: &TrustConfig,
    required: bool,
) -> Vec<Option<Signed>> {
    let mut signed = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let Ok(check) = outcome else {
            signed.push(None);
            continue;
        };
        let reference = check.reference();
        let scoped = trust.for_image(reference);
        let latest = if check.has_update() {
            Some(
                one(
                    client,
                    reference,
                    check.latest_digest(),
                    check.platform_digest(),
                    &scoped,
                )
                .await,
            )
        } else {
            None
        };
        let newer = match check.newer() {
            Some(Ok(search)) => match search.newer() {
                Some(version) => Some(one(client, reference, version.digest(), None, &scoped).await),
                None => None,
            },
            _ => None,
        };
        if latest.is_none() && newer.is_none() {
            signed.push(None);
            continue;
        }
        let proposed = latest.as_ref().or(newer.as_ref());
        let same_signer = match (
            proposed.and_then(|record| record.signer.clone()),
            check.current_digest(),
        ) {
            (Some(new_signer), Some(current)) => {
                let in_use = one(client, reference, current, None, &scoped).await;
                in_use.signer.map(|old_signer| old_signer == new_signer)
            }
            _ => None,
        };
        signed.push(Some(Signed {
            latest,
            newer,
            same_signer,
            required,
        }));
    }
    signed
}

/// The signature record of `index` (and the platform's image `child`), or what kept it from being found.
async fn one(
    client: &Client,
    reference: &oci_registry::Reference,
    index: &oci_registry::Digest,
    child: Option<&oci_registry::Digest>,
    trust: &oci_sign::Trust,
) -> SignatureRecord {
    match judge_digests(client, reference, index, child, trust).await {
        Ok(finding) => SignatureRecord::of(&finding, trust.is_empty()),
        Err(err) => SignatureRecord::failed(&err),
    }
}
