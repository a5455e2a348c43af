//! The cloud table, over every variant.

use super::*;

#[test]
fn every_cloud_is_found_by_its_name_and_aliases_in_any_case() {
    for cloud in Cloud::ALL {
        for name in std::iter::once(cloud.name()).chain(cloud.aliases().iter().copied()) {
            assert_eq!(Cloud::find(name), Some(cloud), "{name}");
            assert_eq!(Cloud::find(&name.to_uppercase()), Some(cloud), "{name}");
            assert_eq!(name.to_lowercase().parse::<Cloud>().unwrap(), cloud);
        }
    }
}

#[test]
fn every_cloud_has_https_endpoints_that_parse() {
    for cloud in Cloud::ALL {
        let env = Environment::from(cloud);
        assert_eq!(env.name, cloud.name());
        assert_eq!(env.authority_host.scheme(), "https", "{cloud}");
        assert_eq!(env.graph.scheme(), "https", "{cloud}");
        env.validate().unwrap();
        // every endpoint of the table, as it was written
        let e = cloud.endpoints();
        assert_eq!(
            env.authority_host.as_str().trim_end_matches('/'),
            e.authority_host
        );
        assert_eq!(
            env.partner_center.map(|u| u.to_string()),
            e.partner_center.map(|u| format!("{u}/"))
        );
    }
}

#[test]
fn the_table_matches_the_protocol() {
    let rows: Vec<String> = Cloud::ALL
        .iter()
        .map(|c| {
            let e = c.endpoints();
            format!(
                "{} [{}] {} {} {} {} {}",
                c.name(),
                c.aliases().join(","),
                e.authority_host,
                e.graph,
                e.partner_center.unwrap_or("-"),
                e.aad_graph.unwrap_or("-"),
                e.resource_manager
            )
        })
        .collect();
    insta::assert_snapshot!(rows.join("\n"), @r"
    AzureCloud [Global,Public,AzurePublic] https://login.microsoftonline.com https://graph.microsoft.com https://api.partnercenter.microsoft.com https://graph.windows.net https://management.azure.com
    AzureChinaCloud [China] https://login.chinacloudapi.cn https://microsoftgraph.chinacloudapi.cn https://partner.partnercenterapi.microsoftonline.cn https://graph.chinacloudapi.cn https://management.chinacloudapi.cn
    AzureUSGovernment [USGov] https://login.microsoftonline.us https://graph.microsoft.us https://api.partnercenter.microsoft.com https://graph.windows.net https://management.usgovcloudapi.net
    AzureUSGovernmentDoD [USGovDoD] https://login.microsoftonline.us https://dod-graph.microsoft.us - - https://management.usgovcloudapi.net
    AzureGermanCloud [Germany] https://login.microsoftonline.de https://graph.microsoft.de https://api.partnercenter.microsoft.com https://graph.cloudapi.de https://management.core.cloudapi.de
    AzurePPE [PPE] https://login.windows-ppe.net https://graph.microsoft-ppe.com https://api.partnercenter.microsoft-ppe.com https://graph.ppe.windows.net https://api-dogfood.resources.windows-int.net
    ");
}

#[test]
fn only_the_german_cloud_is_retired() {
    let retired: Vec<Cloud> = Cloud::ALL
        .into_iter()
        .filter(|c| c.retirement().is_some())
        .collect();
    assert_eq!(retired, [Cloud::AzureGermanCloud]);
}

#[test]
fn the_default_is_the_public_cloud() {
    assert_eq!(Cloud::default(), Cloud::AzureCloud);
}

#[test]
fn unknown_names_list_the_valid_ones() {
    insta::assert_snapshot!("Mars".parse::<Cloud>().unwrap_err(), @"invalid value for environment: 'Mars' is not a known cloud; valid names: AzureCloud, AzureChinaCloud, AzureUSGovernment, AzureUSGovernmentDoD, AzureGermanCloud, AzurePPE");
}

#[test]
fn azure_authority_host_overrides_every_cloud() {
    let env = EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", "https://login.example.test/")]);
    for cloud in Cloud::ALL {
        let e = Environment::from(cloud).with_env_overrides(&env).unwrap();
        assert_eq!(e.authority_host.as_str(), "https://login.example.test/");
        assert_eq!(
            e.graph,
            Environment::from(cloud).graph,
            "only the authority host changes"
        );
    }
    let bare = EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")]);
    let e = Environment::from(Cloud::AzureCloud)
        .with_env_overrides(&bare)
        .unwrap();
    assert_eq!(e.authority_host.as_str(), "https://login.microsoftonline.us/");
}

#[test]
fn authorities_must_be_https_except_on_loopback() {
    for ok in [
        "https://login.example.test",
        "http://127.0.0.1:8080",
        "http://localhost:1234",
        "http://[::1]:99",
    ] {
        parse_authority_host(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    let env = EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", "http://login.example.test")]);
    insta::assert_snapshot!(Environment::from(Cloud::AzureCloud).with_env_overrides(&env).unwrap_err(), @"invalid value for AZURE_AUTHORITY_HOST: 'http://login.example.test/' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)");
    insta::assert_snapshot!(parse_authority_host("ftp://x.test").unwrap_err(), @"invalid value for authority host: 'ftp://x.test/' has scheme 'ftp'; expected https");
    insta::assert_snapshot!(parse_authority_host("https://x.test/tenant").unwrap_err(), @"invalid value for authority host: 'https://x.test/tenant' must be a scheme and host only, with no path");
    // a host that only looks local is not loopback
    assert!(parse_authority_host("http://localhost.evil.test").is_err());
    assert!(parse_authority_host("http://127.0.0.1.nip.io").is_err());
}
