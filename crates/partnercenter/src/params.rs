//! The parameter sets of `Connect-PartnerCenter` and `New-PartnerAccessToken` as Rust types (each set a
//! variant holding exactly its fields), the tables the binder resolves them from, and the aliases.

use auth_core::params::{self, Argument, ParameterSetInfo};
use auth_core::{AccessToken, ClientId, Environment, Password, RefreshToken, Tenant};

use crate::environment;

/// The cmdlet name of [`ConnectPartnerCenter`].
pub const CONNECT_PARTNER_CENTER: &str = "Connect-PartnerCenter";

/// The parameter sets of `Connect-PartnerCenter`. `-CertificateThumbprint` is required in
/// ServicePrincipalCertificate: the help marks it optional, but the set cannot sign in without it.
pub static PARAMETER_SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "User",
        mandatory: &[],
        optional: &[
            "EnforceMFA",
            "Environment",
            "Tenant",
            "UseDeviceAuthentication",
            "WhatIf",
            "Confirm",
        ],
        default: true,
    },
    ParameterSetInfo {
        name: "AccessToken",
        mandatory: &["AccessToken"],
        optional: &["EnforceMFA", "Environment", "Tenant", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "RefreshToken",
        mandatory: &["ApplicationId", "RefreshToken"],
        optional: &[
            "CertificateThumbprint",
            "Credential",
            "EnforceMFA",
            "Environment",
            "Tenant",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipalCertificate",
        mandatory: &["ApplicationId", "CertificateThumbprint", "Tenant"],
        optional: &[
            "EnforceMFA",
            "Environment",
            "ServicePrincipal",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipal",
        mandatory: &["Credential", "ServicePrincipal", "Tenant"],
        optional: &["EnforceMFA", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    // issue 16: the secret-free sets for CI runners and cloud hosts (auth_core::workload_sets)
    ParameterSetInfo {
        name: "FederatedToken",
        mandatory: &["FederatedTokenFile"],
        optional: &["ApplicationId", "Tenant", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "WorkloadIdentity",
        mandatory: &["WorkloadIdentity"],
        optional: &[
            "ApplicationId",
            "Tenant",
            "ServiceConnectionId",
            "Environment",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ManagedIdentity",
        mandatory: &["Identity"],
        optional: &[
            "ApplicationId",
            "ObjectId",
            "ResourceId",
            "Tenant",
            "Environment",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "EnvironmentVariable",
        mandatory: &["EnvironmentVariable"],
        optional: &["Environment", "WhatIf", "Confirm"],
        default: false,
    },
    // msconnect's own: the Azure CLI's sign-in (`az login`), shared
    ParameterSetInfo {
        name: auth_core::partner_sets::FROM_AZURE_CLI_SET,
        mandatory: &["FromAzureCli"],
        optional: &[
            "Account",
            "EnforceMFA",
            "Environment",
            "Tenant",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
];

/// The aliases of `Connect-PartnerCenter`'s parameters: `(alias, canonical name)`.
pub const ALIASES: &[(&str, &str)] = &[
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
    ("Device", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("DeviceCode", "UseDeviceAuthentication"),
    ("cf", "Confirm"),
    ("wi", "WhatIf"),
];

/// The canonical name of a `Connect-PartnerCenter` parameter as typed (any case, an alias, a prefix).
pub fn canonical_parameter(name: &str) -> auth_core::Result<&'static str> {
    params::canonical_name(CONNECT_PARTNER_CENTER, PARAMETER_SETS, ALIASES, name)
}

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

/// The sets of `Connect-PartnerCenter` (shared with `Connect-SecMgmtAccount`, kept in auth-core).
pub use auth_core::partner_sets::{PartnerSignIn as PartnerCenterSignIn, RefreshTokenCredential};

impl ConnectPartnerCenter {
    /// Binds arguments as PowerShell would (names by alias, case and prefix) and builds the request of
    /// the set they resolve to. `-WhatIf` and `-Confirm` are accepted and left to the caller.
    pub fn from_arguments<S: AsRef<str>>(
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> auth_core::Result<Self> {
        let bound = params::bind(CONNECT_PARTNER_CENTER, PARAMETER_SETS, ALIASES, arguments)?;
        let common = CommonOptions {
            environment: bound
                .environment("Environment", environment::parse)?
                .unwrap_or_default(),
            enforce_mfa: bound.switch("EnforceMFA"),
        };
        let set = PartnerCenterSignIn::from_bound(&bound)?;
        Ok(Self { common, set })
    }

    /// The `-WhatIf` line: what connecting would do, without doing it.
    pub fn what_if(&self) -> String {
        self.set.what_if(&self.common.environment)
    }
}

/// The cmdlet name of [`NewPartnerAccessToken`].
pub const NEW_PARTNER_ACCESS_TOKEN: &str = "New-PartnerAccessToken";

/// The parameter sets of `New-PartnerAccessToken`.
pub static NEW_ACCESS_TOKEN_PARAMETER_SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "AccessToken",
        mandatory: &["AccessToken", "ApplicationId", "Scopes"],
        optional: &["Credential", "Environment", "Tenant"],
        default: false,
    },
    ParameterSetInfo {
        name: "RefreshToken",
        mandatory: &["RefreshToken", "Scopes"],
        optional: &[
            "ApplicationId",
            "CertificateThumbprint",
            "Credential",
            "Environment",
            "Module",
            "ServicePrincipal",
            "Tenant",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipal",
        mandatory: &["ApplicationId", "Credential", "Scopes", "Tenant"],
        optional: &["Environment", "ServicePrincipal", "UseAuthorizationCode"],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipalCertificate",
        mandatory: &["ApplicationId", "CertificateThumbprint", "Scopes", "Tenant"],
        optional: &["Environment", "ServicePrincipal", "UseAuthorizationCode"],
        default: false,
    },
    ParameterSetInfo {
        name: "User",
        mandatory: &["ApplicationId", "Scopes"],
        optional: &[
            "Environment",
            "Tenant",
            "UseAuthorizationCode",
            "UseDeviceAuthentication",
        ],
        default: true,
    },
    ParameterSetInfo {
        name: "ByModule",
        mandatory: &["Module"],
        optional: &["Environment", "RefreshToken", "Tenant", "UseAuthorizationCode"],
        default: false,
    },
];

/// The aliases of `New-PartnerAccessToken`'s parameters: `(alias, canonical name)`.
pub const NEW_ACCESS_TOKEN_ALIASES: &[(&str, &str)] = &[
    ("ClientId", "ApplicationId"),
    ("EnvironmentName", "Environment"),
    ("ModuleName", "Module"),
    ("AuthCode", "UseAuthorizationCode"),
    ("DeviceCode", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("Device", "UseDeviceAuthentication"),
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
];

/// The canonical name of a `New-PartnerAccessToken` parameter as typed.
pub fn canonical_new_access_token_parameter(name: &str) -> auth_core::Result<&'static str> {
    params::canonical_name(
        NEW_PARTNER_ACCESS_TOKEN,
        NEW_ACCESS_TOKEN_PARAMETER_SETS,
        NEW_ACCESS_TOKEN_ALIASES,
        name,
    )
}

/// `-Module`: the modules New-PartnerAccessToken knows a client and scope for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleName {
    /// Exchange Online PowerShell.
    ExchangeOnline,
}

impl ModuleName {
    /// Reads a module name, ignoring case.
    pub fn parse(name: &str) -> auth_core::Result<Self> {
        params::choose("Module", name, &[("ExchangeOnline", Self::ExchangeOnline)])
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
        /// `-CertificateThumbprint`.
        certificate_thumbprint: String,
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

impl NewAccessTokenSet {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::AccessToken { .. } => "AccessToken",
            Self::RefreshToken { .. } => "RefreshToken",
            Self::ServicePrincipal { .. } => "ServicePrincipal",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::User { .. } => "User",
            Self::ByModule { .. } => "ByModule",
        }
    }
}

impl NewPartnerAccessToken {
    /// Binds arguments as PowerShell would and builds the request of the set they resolve to.
    pub fn from_arguments<S: AsRef<str>>(
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> auth_core::Result<Self> {
        let bound = params::bind(
            NEW_PARTNER_ACCESS_TOKEN,
            NEW_ACCESS_TOKEN_PARAMETER_SETS,
            NEW_ACCESS_TOKEN_ALIASES,
            arguments,
        )?;
        let environment = bound
            .environment("Environment", environment::parse)?
            .unwrap_or_default();
        let scopes = || -> auth_core::Result<Vec<String>> {
            let scopes = auth_core::flows::normalize_scopes(bound.list("Scopes")?.unwrap_or_default());
            if scopes.is_empty() {
                return Err(auth_core::Error::invalid("-Scopes", "no scope given"));
            }
            Ok(scopes)
        };
        let module = || -> auth_core::Result<Option<ModuleName>> {
            bound.text("Module")?.map(|m| ModuleName::parse(&m)).transpose()
        };
        let set = match bound.set_name() {
            "AccessToken" => {
                if bound.has("Credential") {
                    tracing::warn!("-Credential has no effect with -AccessToken: the token is used as given");
                }
                NewAccessTokenSet::AccessToken {
                    access_token: AccessToken::new(bound.required_secret("AccessToken")?.secret()),
                    application_id: bound.required_client_id("ApplicationId")?,
                    scopes: scopes()?,
                    tenant: bound.tenant("Tenant")?,
                }
            }
            "RefreshToken" => NewAccessTokenSet::RefreshToken {
                refresh_token: RefreshToken::new(bound.required_secret("RefreshToken")?.secret()),
                scopes: scopes()?,
                application_id: bound.client_id("ApplicationId")?,
                credential: RefreshTokenCredential::from_bound(&bound)?,
                module: module()?,
                tenant: bound.tenant("Tenant")?,
            },
            "ServicePrincipal" => NewAccessTokenSet::ServicePrincipal {
                application_id: bound.required_client_id("ApplicationId")?,
                secret: bound.required_credential("Credential")?.password,
                scopes: scopes()?,
                tenant: bound.required_tenant("Tenant")?,
                use_authorization_code: bound.switch("UseAuthorizationCode"),
            },
            "ServicePrincipalCertificate" => NewAccessTokenSet::ServicePrincipalCertificate {
                application_id: bound.required_client_id("ApplicationId")?,
                certificate_thumbprint: bound.required_text("CertificateThumbprint")?,
                scopes: scopes()?,
                tenant: bound.required_tenant("Tenant")?,
                use_authorization_code: bound.switch("UseAuthorizationCode"),
            },
            "ByModule" => NewAccessTokenSet::ByModule {
                module: module()?.ok_or_else(|| bound.missing("Module"))?,
                refresh_token: bound
                    .secret("RefreshToken")?
                    .map(|t| RefreshToken::new(t.secret())),
                tenant: bound.tenant("Tenant")?,
                use_authorization_code: bound.switch("UseAuthorizationCode"),
            },
            _ => NewAccessTokenSet::User {
                application_id: bound.required_client_id("ApplicationId")?,
                scopes: scopes()?,
                tenant: bound.tenant("Tenant")?,
                flow: match (
                    bound.switch("UseAuthorizationCode"),
                    bound.switch("UseDeviceAuthentication"),
                ) {
                    (true, true) => {
                        return Err(bound.conflict("UseAuthorizationCode", "UseDeviceAuthentication"));
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
