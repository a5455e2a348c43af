//! The five sign-in sets of the cmdlets on the Partner Center SDK's sign-in (`Connect-PartnerCenter`, and
//! `Connect-SecMgmtAccount`, which was forked from it), kept once with their parameters and their account
//! object: a user in the browser or with a device code, an access token, a refresh token (of a public
//! client or with the web app's secret or certificate), and an application with a certificate or a
//! client secret. Each module names the sets after itself (`PartnerCenterSignIn`, `SecMgmtSignIn`) and
//! keeps what differs: what every set also takes (`-EnforceMFA`), the scopes, the defaults, the
//! environment object.

use std::collections::BTreeMap;

use auth_core::{
    AccessToken, BrowserOptions, CertificateSource, ClientCredential, ClientId, Credential, RefreshToken,
    SignInMethod, Tenant, TokenResult,
};
use serde::{Deserialize, Serialize};

use super::shared::{self, ResolvedSignIn, SharedSignIn};
use super::{CLAIMS_CHALLENGE, SetNames};
use crate::bind::Bound;
use crate::declare::{Kind, Parameter, ParameterSet, common};
use crate::environments::EnvironmentNames;
use crate::error::Result;

/// The names `-Environment` takes: the Partner Center SDK's `EnvironmentName`, AzureCloud the default.
pub static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&[
    "AzureCloud",
    "AzureChinaCloud",
    "AzureGermanCloud",
    "AzurePPE",
    "AzureUSGovernment",
]);

/// `-AccessToken`.
pub const ACCESS_TOKEN: Parameter = Parameter {
    name: "AccessToken",
    aliases: &[],
    kind: Kind::Secret {
        value_name: "TOKEN",
        env: "MSCONNECT_ACCESS_TOKEN",
    },
    help: "An access token to use as it is, no request made (`-` reads it from stdin)",
};
/// `-ApplicationId` (alias `-ClientId`).
pub const APPLICATION_ID: Parameter = Parameter {
    name: "ApplicationId",
    aliases: &["ClientId"],
    kind: Kind::Text("ID"),
    help: "The application (client) id to sign in with",
};
/// `-CertificateThumbprint`.
pub const CERTIFICATE_THUMBPRINT: Parameter = common::CERTIFICATE_THUMBPRINT;
/// `-Credential`.
pub const CREDENTIAL: Parameter = common::CREDENTIAL;
/// `-RefreshToken`.
pub const REFRESH_TOKEN: Parameter = Parameter {
    name: "RefreshToken",
    aliases: &[],
    kind: Kind::Secret {
        value_name: "TOKEN",
        env: "MSCONNECT_REFRESH_TOKEN",
    },
    help: "A refresh token to redeem (`-` reads it from stdin)",
};
/// `-ServicePrincipal`.
pub const SERVICE_PRINCIPAL: Parameter = Parameter {
    name: "ServicePrincipal",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in as a service principal (an application), not a user",
};
/// `-Tenant` (aliases `-Domain`, `-TenantId`).
pub const TENANT: Parameter = Parameter {
    name: "Tenant",
    aliases: &["Domain", "TenantId"],
    kind: Kind::Tenant,
    help: "The tenant: its id (GUID) or a domain name [default: organizations]",
};
/// `-UseDeviceAuthentication` (aliases `-Device`, `-DeviceAuth`, `-DeviceCode`).
pub const USE_DEVICE_AUTHENTICATION: Parameter = Parameter {
    name: "UseDeviceAuthentication",
    aliases: &["Device", "DeviceAuth", "DeviceCode"],
    kind: Kind::Switch,
    help: "Sign in with a device code (on another device's browser) instead of this machine's browser",
};

/// How these cmdlets name the application id and the tenant.
pub const NAMES: SetNames = SetNames::new(&APPLICATION_ID, &TENANT);

/// The parameters of the five sets, but `-Environment` (which some cmdlets give an alias).
pub const PARAMETERS: &[Parameter] = &[
    ACCESS_TOKEN,
    APPLICATION_ID,
    CERTIFICATE_THUMBPRINT,
    CREDENTIAL,
    REFRESH_TOKEN,
    SERVICE_PRINCIPAL,
    TENANT,
    USE_DEVICE_AUTHENTICATION,
];

/// The five sets, `User` the default, each also taking `common` (`-Environment`, `-WhatIf`…); then
/// msconnect's own ([`shared::sets`]), the secret-free ones taking `workload_common` and the Azure
/// CLI's `common`.
pub fn sets(common: &[&'static Parameter], workload_common: &[&'static Parameter]) -> Vec<ParameterSet> {
    let mut all = vec![
        ParameterSet::new(
            "User",
            &[],
            &[&TENANT, &USE_DEVICE_AUTHENTICATION, &CLAIMS_CHALLENGE],
        )
        .also(common)
        .default_set(),
        ParameterSet::new("AccessToken", &[&ACCESS_TOKEN], &[&TENANT]).also(common),
        ParameterSet::new(
            "RefreshToken",
            &[&APPLICATION_ID, &REFRESH_TOKEN],
            &[&CERTIFICATE_THUMBPRINT, &CREDENTIAL, &TENANT],
        )
        .also(common),
        ParameterSet::new(
            "ServicePrincipalCertificate",
            &[&APPLICATION_ID, &CERTIFICATE_THUMBPRINT, &TENANT],
            &[&SERVICE_PRINCIPAL],
        )
        .also(common),
        ParameterSet::new(
            "ServicePrincipal",
            &[&CREDENTIAL, &SERVICE_PRINCIPAL, &TENANT],
            &[],
        )
        .also(common),
    ];
    all.extend(shared::sets(NAMES, workload_common, common));
    all
}

/// The client secret of a `-Credential` that names an application: its user name must be the
/// application id given in `-ApplicationId`, else the error names both.
pub fn client_secret_for(credential: Credential, application_id: &ClientId) -> Result<ClientCredential> {
    if !credential
        .username
        .trim()
        .eq_ignore_ascii_case(application_id.as_str())
    {
        return Err(crate::Error::Invalid {
            parameter: &CREDENTIAL,
            reason: format!(
                "its user name '{}' must be the application id, {application_id}",
                credential.username.trim()
            ),
        });
    }
    Ok(ClientCredential::Secret(credential.password.into()))
}

/// The web app's credential that goes with a refresh token.
#[derive(Debug, Clone)]
pub enum RefreshTokenCredential {
    /// `-Credential`: the application id and its client secret.
    Secret(Credential),
    /// `-CertificateThumbprint`: a certificate of the application, loaded (a library caller loads it
    /// from a thumbprint, a file or bytes with `Session::certificate_credential`).
    Certificate(ClientCredential),
}

impl RefreshTokenCredential {
    /// `-Credential` or `-CertificateThumbprint` when one was given, the certificate loaded; both is a
    /// conflict.
    pub fn from_bound(bound: &mut Bound) -> Result<Option<Self>> {
        match (
            bound.credential(&CREDENTIAL)?,
            bound.text(&CERTIFICATE_THUMBPRINT)?,
        ) {
            (Some(_), Some(_)) => Err(bound.conflict(&CREDENTIAL, &CERTIFICATE_THUMBPRINT)),
            (Some(credential), None) => Ok(Some(Self::Secret(credential))),
            (None, Some(thumbprint)) => Ok(Some(Self::Certificate(
                bound.certificate(&CertificateSource::Thumbprint(thumbprint))?,
            ))),
            (None, None) => Ok(None),
        }
    }
}

/// The sets, each holding exactly its fields.
#[derive(Debug, Clone)]
pub enum PartnerSdkSignIn {
    /// A user in the browser (ports 8400-8999), or with a device code.
    User {
        /// `-Tenant`; `organizations` when absent.
        tenant: Option<Tenant>,
        /// `-UseDeviceAuthentication`.
        use_device_authentication: bool,
    },
    /// An access token the caller has.
    AccessToken {
        /// `-AccessToken`.
        access_token: AccessToken,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// A refresh token, for a public client or with the web app's credential.
    RefreshToken {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-RefreshToken`.
        refresh_token: RefreshToken,
        /// `-Credential` or `-CertificateThumbprint`.
        credential: Option<RefreshTokenCredential>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// An application signing in with a certificate.
    ServicePrincipalCertificate {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-CertificateThumbprint`, loaded (a library caller loads the certificate from a thumbprint, a
        /// file or bytes with `Session::certificate_credential`).
        certificate: ClientCredential,
        /// `-Tenant`.
        tenant: Tenant,
    },
    /// An application signing in with a client secret (`-ServicePrincipal -Credential`).
    ServicePrincipal {
        /// `-Credential`: the application id as user name, the secret as password.
        credential: Credential,
        /// `-Tenant`.
        tenant: Tenant,
    },
    /// msconnect's own sign-ins: the Azure CLI's (`--from-azure-cli`), and the secret-free ones for CI
    /// runners and cloud hosts (a federated token file, workload identity, the host's managed identity,
    /// the `AZURE_*` variables, or the first the host offers), resolved ([`SharedSignIn::resolve`]).
    Shared(ResolvedSignIn),
}

/// What a [`PartnerSdkSignIn`] becomes: the client, tenant and auth-core sign-in, and the account type the
/// context records.
#[derive(Debug)]
pub struct PartnerSdkPlan {
    /// The application signing in.
    pub client_id: ClientId,
    /// The tenant given, if any.
    pub tenant: Option<Tenant>,
    /// How auth-core signs in.
    pub method: SignInMethod,
    /// What the context's account says about it.
    pub account_type: AccountType,
}

impl PartnerSdkPlan {
    /// The sign-in request for `environment` and `scopes`, and the account type the context records.
    pub fn into_request(
        self,
        environment: auth_core::Environment,
        scopes: Vec<String>,
    ) -> (auth_core::SignInRequest, AccountType) {
        let request =
            auth_core::SignInRequest::new(environment, self.tenant, self.client_id, scopes, self.method);
        (request, self.account_type)
    }
}

impl PartnerSdkSignIn {
    /// Builds the set the binder resolved (`bound.set_name()`), reading exactly that set's parameters,
    /// loading the certificate it names and resolving msconnect's own sets through the bound's session.
    /// Any set name other than the four below is the default set, `User`.
    pub fn from_bound(bound: &mut Bound) -> Result<Self> {
        if let Some(shared) = SharedSignIn::from_bound(bound, NAMES)? {
            return Ok(Self::Shared(shared.resolve(bound.session(), NAMES)?));
        }
        Ok(match bound.set_name() {
            "AccessToken" => Self::AccessToken {
                access_token: bound.required_secret(&ACCESS_TOKEN)?.into(),
                tenant: bound.tenant(&TENANT)?,
            },
            "RefreshToken" => Self::RefreshToken {
                application_id: bound.required_client_id(&APPLICATION_ID)?,
                refresh_token: bound.required_secret(&REFRESH_TOKEN)?.into(),
                credential: RefreshTokenCredential::from_bound(bound)?,
                tenant: bound.tenant(&TENANT)?,
            },
            "ServicePrincipalCertificate" => Self::ServicePrincipalCertificate {
                application_id: bound.required_client_id(&APPLICATION_ID)?,
                certificate: {
                    let thumbprint = bound.required_text(&CERTIFICATE_THUMBPRINT)?;
                    bound.certificate(&CertificateSource::Thumbprint(thumbprint))?
                },
                tenant: bound.required_tenant(&TENANT)?,
            },
            "ServicePrincipal" => Self::ServicePrincipal {
                credential: bound.required_credential(&CREDENTIAL)?,
                tenant: bound.required_tenant(&TENANT)?,
            },
            _ => Self::User {
                tenant: bound.tenant(&TENANT)?,
                use_device_authentication: bound.switch(&USE_DEVICE_AUTHENTICATION),
            },
        })
    }

    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::User { .. } => "User",
            Self::AccessToken { .. } => "AccessToken",
            Self::RefreshToken { .. } => "RefreshToken",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::ServicePrincipal { .. } => "ServicePrincipal",
            Self::Shared(shared) => shared.set,
        }
    }

    /// Turns the set into an auth-core sign-in: users sign in with `default_client` unless a refresh
    /// token names its application, in the browser with `browser` unless `-UseDeviceAuthentication`;
    /// `-Credential`'s user name must be an application id. It reads nothing: the certificates were
    /// loaded when binding.
    pub fn into_plan(self, default_client: ClientId, browser: BrowserOptions) -> Result<PartnerSdkPlan> {
        let plan = |client_id, tenant, method, account_type| PartnerSdkPlan {
            client_id,
            tenant,
            method,
            account_type,
        };
        Ok(match self {
            Self::User {
                tenant,
                use_device_authentication,
            } => plan(
                default_client,
                tenant,
                if use_device_authentication {
                    SignInMethod::DeviceCode
                } else {
                    SignInMethod::Browser(browser)
                },
                AccountType::User,
            ),
            Self::AccessToken { access_token, tenant } => plan(
                default_client,
                tenant,
                SignInMethod::AccessToken(access_token),
                AccountType::AccessToken,
            ),
            Self::RefreshToken {
                application_id,
                refresh_token,
                credential,
                tenant,
            } => {
                let credential = match credential {
                    None => None,
                    Some(RefreshTokenCredential::Secret(credential)) => {
                        Some(client_secret_for(credential, &application_id)?)
                    }
                    Some(RefreshTokenCredential::Certificate(certificate)) => Some(certificate),
                };
                plan(
                    application_id,
                    tenant,
                    SignInMethod::RefreshToken {
                        token: refresh_token,
                        credential,
                    },
                    AccountType::User,
                )
            }
            Self::ServicePrincipalCertificate {
                application_id,
                certificate,
                tenant,
            } => plan(
                application_id,
                Some(tenant),
                SignInMethod::Application(certificate),
                AccountType::Certificate,
            ),
            Self::ServicePrincipal { credential, tenant } => plan(
                ClientId::parse(&credential.username)
                    .map_err(|error| crate::Error::invalid_field(&CREDENTIAL, error))?,
                Some(tenant),
                SignInMethod::Application(ClientCredential::Secret(credential.password.into())),
                AccountType::ServicePrincipal,
            ),
            Self::Shared(planned) => {
                // the set whose sign-in ran: for `-Auto`, the one the host offered
                let account_type = match planned.answered {
                    // AZURE_USERNAME and AZURE_PASSWORD sign a user in: a user's scope, a user's account;
                    // so does the Azure CLI's sign-in
                    _ if !planned.app_only => AccountType::User,
                    "FederatedToken" => AccountType::FederatedToken,
                    "WorkloadIdentity" => AccountType::WorkloadIdentity,
                    "ManagedIdentity" => AccountType::ManagedIdentity,
                    _ => AccountType::EnvironmentVariable,
                };
                plan(
                    planned.client_id.unwrap_or(default_client),
                    planned.tenant,
                    planned.method,
                    account_type,
                )
            }
        })
    }
}

/// How an account signed in (the modules' `AccountType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountType {
    /// An access token given by the caller.
    AccessToken,
    /// An application with a certificate.
    Certificate,
    /// An application with a client secret.
    ServicePrincipal,
    /// A user (browser, device code or refresh token).
    User,
    /// An application with a federated token file (`--federated-token-file`).
    FederatedToken,
    /// An application with the federated token the host offers (`--workload-identity`).
    WorkloadIdentity,
    /// The host's managed identity (`--identity`).
    ManagedIdentity,
    /// An application with the `AZURE_*` variables' credential (`--environment-variable`).
    EnvironmentVariable,
}

impl AccountType {
    /// Whether an application signed in (it gets `{resource}/.default`, a user its delegated scope).
    pub fn is_application(self) -> bool {
        !matches!(self, Self::User | Self::AccessToken)
    }
}

/// The account of a context, with the PowerShell property names in JSON. It never holds a secret (the
/// originals kept the refresh token and the client secret in its ExtendedProperties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContextAccount {
    /// Non-secret settings: `ApplicationId`, `Scope`.
    pub extended_properties: BTreeMap<String, String>,
    /// The user name, or the application id of a service principal.
    pub identifier: String,
    /// The user's (or application's) object id.
    pub object_id: String,
    /// The tenant id (the token's `tid`).
    pub tenant: String,
    /// How the account signed in.
    pub r#type: AccountType,
}

/// The table of the modules' format files: Account (40 wide), Environment, TenantId.
pub fn account_table(account: &str, environment: &str, tenant: &str) -> String {
    crate::format::table(
        &[
            crate::format::Column::fixed("Account", 40),
            crate::format::Column::auto("Environment"),
            crate::format::Column::auto("TenantId"),
        ],
        &[vec![
            account.to_owned(),
            environment.to_owned(),
            tenant.to_owned(),
        ]],
    )
}

impl ContextAccount {
    /// The account of a sign-in of `client_id` for `scope` that gave `result`.
    pub fn new(client_id: &ClientId, scope: &str, result: &TokenResult, account_type: AccountType) -> Self {
        let (identifier, object_id) = result.identity();
        // a managed identity's application is the one its token names, not the stand-in client asked with
        let client_id = match account_type {
            AccountType::ManagedIdentity => &result.client_id,
            _ => client_id,
        };
        Self {
            extended_properties: BTreeMap::from([
                ("ApplicationId".to_owned(), client_id.to_string()),
                ("Scope".to_owned(), scope.to_owned()),
            ]),
            identifier,
            object_id,
            tenant: result.tenant_id.clone(),
            r#type: account_type,
        }
    }
}
