//! `Connect-PartnerCenter` and `New-PartnerAccessToken` declared once: their parameters with aliases,
//! kinds and help, their parameter sets (each set a variant holding exactly its fields), the environment
//! names, and how the bound parameters become the typed requests.

use auth_core::{
    AccessToken, CertificateSource, ClientCredential, ClientId, Environment, Password, RefreshToken, Tenant,
};
use cmdlet::declare::common::{self, CONFIRM, ENVIRONMENT, WHAT_IF};
use cmdlet::declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
use cmdlet::sets::partner_sdk::{
    self, ACCESS_TOKEN, APPLICATION_ID, CERTIFICATE_THUMBPRINT, CREDENTIAL, REFRESH_TOKEN, SERVICE_PRINCIPAL,
    TENANT, USE_DEVICE_AUTHENTICATION,
};
use cmdlet::sets::{self, CAE};
use cmdlet::{Bound, Request, Result};

/// The names `-Environment` takes: the Partner Center SDK's `EnvironmentName`, AzureCloud the default.
pub use cmdlet::sets::partner_sdk::ENVIRONMENTS;

/// `-EnforceMFA`.
pub(crate) const ENFORCE_MFA: Parameter = Parameter {
    name: "EnforceMFA",
    aliases: &[],
    kind: Kind::Switch,
    help: "Require multi-factor authentication for the sign-in",
};

/// What every set of `Connect-PartnerCenter` takes.
const COMMON: &[&Parameter] = &[&ENFORCE_MFA, &ENVIRONMENT, &WHAT_IF, &CONFIRM, &CAE];
/// What every secret-free set takes: `-EnforceMFA` asks a user for multi-factor authentication, and
/// these sign in applications.
const WORKLOAD_COMMON: &[&Parameter] = &[&ENVIRONMENT, &WHAT_IF, &CONFIRM, &CAE];

/// `Connect-PartnerCenter`. `-CertificateThumbprint` is required in ServicePrincipalCertificate: the help
/// marks it optional, but the set cannot sign in without it.
pub static CONNECT_CMDLET: Cmdlet = Cmdlet {
    name: "Connect-PartnerCenter",
    about: "Sign in to Partner Center and print the new context",
    operation: "Connect",
    parameters: &[
        partner_sdk::PARAMETERS,
        &[ENVIRONMENT, ENFORCE_MFA],
        common::SHOULD_PROCESS,
    ],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| partner_sdk::sets(COMMON, WORKLOAD_COMMON)),
    environments: &ENVIRONMENTS,
};

/// What every `Connect-PartnerCenter` set takes.
#[derive(Debug, Clone, Default)]
pub struct CommonOptions {
    /// The cloud (`-Environment`); AzureCloud by default.
    pub environment: Environment,
    /// `-EnforceMFA`: refuse a sign-in without multi-factor authentication, and send
    /// `MS-Enforce-MFA: True` on Partner Center requests made with the context.
    pub enforce_mfa: bool,
}

/// `Connect-PartnerCenter`.
#[derive(Debug, Clone)]
pub struct ConnectPartnerCenter {
    /// What every set takes.
    pub common: CommonOptions,
    /// The parameter set and its own parameters.
    pub set: PartnerCenterSignIn,
}

/// The sets of `Connect-PartnerCenter`: the standard five and msconnect's own.
pub use cmdlet::sets::partner_sdk::{PartnerSdkSignIn as PartnerCenterSignIn, RefreshTokenCredential};

/// New-PartnerAccessToken's `-Environment`, which also answers to `-EnvironmentName`.
const ENVIRONMENT_NAME: Parameter = Parameter {
    aliases: &["EnvironmentName"],
    ..ENVIRONMENT
};
/// `-Module` (alias `-ModuleName`).
const MODULE: Parameter = Parameter {
    name: "Module",
    aliases: &["ModuleName"],
    kind: Kind::Choice(&["ExchangeOnline"]),
    help: "The module to get a token for, with its own application and scope",
};
/// `-Scopes`.
const SCOPES: Parameter = common::SCOPES;
/// `-UseAuthorizationCode` (alias `-AuthCode`).
const USE_AUTHORIZATION_CODE: Parameter = Parameter {
    name: "UseAuthorizationCode",
    aliases: &["AuthCode"],
    kind: Kind::Switch,
    help: "Sign in with the browser (authorization code flow)",
};

/// `New-PartnerAccessToken`.
pub static NEW_ACCESS_TOKEN_CMDLET: Cmdlet = Cmdlet {
    name: "New-PartnerAccessToken",
    about: "Get an access token from the Microsoft identity platform and print the AuthResult",
    operation: "New access token",
    parameters: &[
        partner_sdk::PARAMETERS,
        &[ENVIRONMENT_NAME, MODULE, SCOPES, USE_AUTHORIZATION_CODE],
    ],
    shared: &[],
    sets: Sets::new(|| {
        vec![
            ParameterSet::new(
                "AccessToken",
                &[&ACCESS_TOKEN, &APPLICATION_ID, &SCOPES],
                &[&CREDENTIAL, &ENVIRONMENT_NAME, &TENANT],
            ),
            ParameterSet::new(
                "RefreshToken",
                &[&REFRESH_TOKEN, &SCOPES],
                &[
                    &APPLICATION_ID,
                    &CERTIFICATE_THUMBPRINT,
                    &CREDENTIAL,
                    &ENVIRONMENT_NAME,
                    &MODULE,
                    &SERVICE_PRINCIPAL,
                    &TENANT,
                ],
            ),
            ParameterSet::new(
                "ServicePrincipal",
                &[&APPLICATION_ID, &CREDENTIAL, &SCOPES, &TENANT],
                &[&ENVIRONMENT_NAME, &SERVICE_PRINCIPAL, &USE_AUTHORIZATION_CODE],
            ),
            ParameterSet::new(
                "ServicePrincipalCertificate",
                &[&APPLICATION_ID, &CERTIFICATE_THUMBPRINT, &SCOPES, &TENANT],
                &[&ENVIRONMENT_NAME, &SERVICE_PRINCIPAL, &USE_AUTHORIZATION_CODE],
            ),
            ParameterSet::new(
                "User",
                &[&APPLICATION_ID, &SCOPES],
                &[
                    &ENVIRONMENT_NAME,
                    &TENANT,
                    &USE_AUTHORIZATION_CODE,
                    &USE_DEVICE_AUTHENTICATION,
                ],
            )
            .default_set(),
            ParameterSet::new(
                "ByModule",
                &[&MODULE],
                &[
                    &ENVIRONMENT_NAME,
                    &REFRESH_TOKEN,
                    &TENANT,
                    &USE_AUTHORIZATION_CODE,
                ],
            ),
        ]
    }),
    environments: &ENVIRONMENTS,
};

/// `-Module`: the modules New-PartnerAccessToken knows a client and scope for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleName {
    /// Exchange Online PowerShell.
    ExchangeOnline,
}

impl ModuleName {
    /// Reads a module name, ignoring case.
    pub fn parse(name: &str) -> auth_core::Result<Self> {
        cmdlet::choice::choose(MODULE.name, name, &[("ExchangeOnline", Self::ExchangeOnline)])
    }
}

/// How a user signs in for `New-PartnerAccessToken -ApplicationId … -Scopes …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFlow {
    /// The browser, with the authorization code flow (`-UseAuthorizationCode`, and the default).
    AuthorizationCode,
    /// A device code (`-UseDeviceAuthentication`).
    DeviceCode,
}

/// `New-PartnerAccessToken`.
#[derive(Debug, Clone)]
pub struct NewPartnerAccessToken {
    /// The cloud (`-Environment`).
    pub environment: Environment,
    /// The parameter set and its own parameters.
    pub set: NewAccessTokenSet,
}

/// The sets of `New-PartnerAccessToken`.
#[derive(Debug, Clone)]
pub enum NewAccessTokenSet {
    /// An access token the caller has, returned as an AuthResult.
    AccessToken {
        /// `-AccessToken`.
        access_token: AccessToken,
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-Scopes`.
        scopes: Vec<String>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// A refresh token redeemed for the scopes.
    RefreshToken {
        /// `-RefreshToken`.
        refresh_token: RefreshToken,
        /// `-Scopes`.
        scopes: Vec<String>,
        /// `-ApplicationId`; else the credential's user name, else the module's client, else the
        /// PartnerCenter default.
        application_id: Option<ClientId>,
        /// `-Credential` or `-CertificateThumbprint`.
        credential: Option<RefreshTokenCredential>,
        /// `-Module`.
        module: Option<ModuleName>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// An application with a client secret; with `-UseAuthorizationCode`, a user in the browser for that
    /// confidential application.
    ServicePrincipal {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-Credential`: its password is the client secret.
        secret: Password,
        /// `-Scopes`.
        scopes: Vec<String>,
        /// `-Tenant`.
        tenant: Tenant,
        /// `-UseAuthorizationCode`.
        use_authorization_code: bool,
    },
    /// An application with a certificate; with `-UseAuthorizationCode`, a user in the browser.
    ServicePrincipalCertificate {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-CertificateThumbprint`, loaded when binding (a library caller loads the certificate from a
        /// thumbprint, a file or bytes with `Session::certificate_credential`).
        certificate: ClientCredential,
        /// `-Scopes`.
        scopes: Vec<String>,
        /// `-Tenant`.
        tenant: Tenant,
        /// `-UseAuthorizationCode`.
        use_authorization_code: bool,
    },
    /// A user, in the browser or with a device code.
    User {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-Scopes`.
        scopes: Vec<String>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
        /// `-UseAuthorizationCode` or `-UseDeviceAuthentication`.
        flow: UserFlow,
    },
    /// A module's own client and scope (ExchangeOnline).
    ByModule {
        /// `-Module`.
        module: ModuleName,
        /// `-RefreshToken`: redeemed instead of signing in.
        refresh_token: Option<RefreshToken>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
        /// `-UseAuthorizationCode`: the browser instead of a device code.
        use_authorization_code: bool,
    },
}

impl Request for NewPartnerAccessToken {
    const CMDLET: &'static Cmdlet = &NEW_ACCESS_TOKEN_CMDLET;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        let environment = bound.environment();
        let scopes = |bound: &Bound| -> Result<Vec<String>> {
            let scopes = auth_core::normalize_scopes(bound.list(&SCOPES)?.unwrap_or_default());
            if scopes.is_empty() {
                return Err(auth_core::Error::invalid("-Scopes", "no scope given").into());
            }
            Ok(scopes)
        };
        let module = |bound: &Bound| -> Result<Option<ModuleName>> {
            Ok(bound.text(&MODULE)?.map(|m| ModuleName::parse(&m)).transpose()?)
        };
        let set = match bound.set_name() {
            "AccessToken" => {
                if bound.has(&CREDENTIAL) {
                    tracing::warn!("-Credential has no effect with -AccessToken: the token is used as given");
                }
                NewAccessTokenSet::AccessToken {
                    access_token: bound.required_secret(&ACCESS_TOKEN)?.into(),
                    application_id: bound.required_client_id(&APPLICATION_ID)?,
                    scopes: scopes(&bound)?,
                    tenant: bound.tenant(&TENANT)?,
                }
            }
            "RefreshToken" => NewAccessTokenSet::RefreshToken {
                refresh_token: bound.required_secret(&REFRESH_TOKEN)?.into(),
                scopes: scopes(&bound)?,
                application_id: bound.client_id(&APPLICATION_ID)?,
                credential: RefreshTokenCredential::from_bound(&mut bound)?,
                module: module(&bound)?,
                tenant: bound.tenant(&TENANT)?,
            },
            "ServicePrincipal" => NewAccessTokenSet::ServicePrincipal {
                application_id: bound.required_client_id(&APPLICATION_ID)?,
                secret: bound.required_credential(&CREDENTIAL)?.password,
                scopes: scopes(&bound)?,
                tenant: bound.required_tenant(&TENANT)?,
                use_authorization_code: bound.switch(&USE_AUTHORIZATION_CODE),
            },
            "ServicePrincipalCertificate" => NewAccessTokenSet::ServicePrincipalCertificate {
                application_id: bound.required_client_id(&APPLICATION_ID)?,
                certificate: {
                    let thumbprint = bound.required_text(&CERTIFICATE_THUMBPRINT)?;
                    bound.certificate(&CertificateSource::Thumbprint(thumbprint))?
                },
                scopes: scopes(&bound)?,
                tenant: bound.required_tenant(&TENANT)?,
                use_authorization_code: bound.switch(&USE_AUTHORIZATION_CODE),
            },
            "ByModule" => NewAccessTokenSet::ByModule {
                module: module(&bound)?.ok_or_else(|| bound.missing(&MODULE))?,
                refresh_token: bound.secret(&REFRESH_TOKEN)?.map(RefreshToken::from),
                tenant: bound.tenant(&TENANT)?,
                use_authorization_code: bound.switch(&USE_AUTHORIZATION_CODE),
            },
            _ => NewAccessTokenSet::User {
                application_id: bound.required_client_id(&APPLICATION_ID)?,
                scopes: scopes(&bound)?,
                tenant: bound.tenant(&TENANT)?,
                flow: match (
                    bound.switch(&USE_AUTHORIZATION_CODE),
                    bound.switch(&USE_DEVICE_AUTHENTICATION),
                ) {
                    (true, true) => {
                        return Err(bound.conflict(&USE_AUTHORIZATION_CODE, &USE_DEVICE_AUTHENTICATION));
                    }
                    (false, true) => UserFlow::DeviceCode,
                    _ => UserFlow::AuthorizationCode,
                },
            },
        };
        Ok(Self { environment, set })
    }
}

#[cfg(test)]
mod tests;
