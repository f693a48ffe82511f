//! Any bytes are an X.509 certificate (as DER, and as PEM text) or a typed error with a one-line message; a
//! certificate that reads has its path judged against a fixed root at a fixed time without a panic, and reads the
//! same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_sign::x509::{Certificate, Usage};

/// Sigstore's public-good root (CN=sigstore), the root of every Fulcio certificate in the seeds.
const ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4wCgYIKoZIzj0EAwMw
KjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0y
MTEwMDcxMzU2NTlaFw0zMTEwMDUxMzU2NThaMCoxFTATBgNVBAoTDHNpZ3N0b3Jl
LmRldjERMA8GA1UEAxMIc2lnc3RvcmUwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAT7
XeFT4rb3PQGwS4IajtLk3/OlnpgangaBclYpsYBr5i+4ynB07ceb3LP0OIOZdxex
X69c5iVuyJRQ+Hz05yi+UF3uBWAlHpiS5sh0+H2GHE7SXrk1EC5m1Tr19L9gg92j
YzBhMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRY
wB5fkUWlZql6zJChkyLQKsXF+jAfBgNVHSMEGDAWgBRYwB5fkUWlZql6zJChkyLQ
KsXF+jAKBggqhkjOPQQDAwNpADBmAjEAj1nHeXZp+13NWBNa+EDsDP8G1WWg1tCM
WP/WHPqpaVo0jhsweNFZgSs0eE7wYI4qAjEA2WB9ot98sIkoF3vZYdd3/VtWB5b9
TNMea7Ix/stJ5TfcLLeABLE4BNJOsQ4vnBHJ
-----END CERTIFICATE-----";

fn judge(certificate: &Certificate) {
    let root = Certificate::from_pem(ROOT).expect("the fixed root reads");
    assert_eq!(Certificate::from_der(certificate.der()).as_ref(), Ok(certificate));
    let _ = certificate.public_key();
    let _ = certificate.emails().count() + certificate.uris().count();
    for usage in [Usage::CodeSigning, Usage::CodeSigningIfPresent] {
        if let Err(err) = certificate.verify_path(&[], std::slice::from_ref(&root), 1_710_869_186, usage) {
            assert!(!err.to_string().chars().any(char::is_control), "{err}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match Certificate::from_der(data) {
        Ok(certificate) => judge(&certificate),
        Err(err) => assert!(!err.to_string().chars().any(char::is_control), "{err}"),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        match Certificate::all_from_pem(text) {
            Ok(all) => all.iter().for_each(judge),
            Err(err) => assert!(!err.to_string().chars().any(char::is_control), "{err}"),
        }
    }
});
