//! msconnect's own sign-ins, which every module's connect gains, kept once: the Azure CLI's sign-in
//! (`-FromAzureCli`), and four secret-free ones for CI runners and cloud hosts: a federated token file
//! (`-FederatedTokenFile`), workload identity found in the host's variables (`-WorkloadIdentity`), the host's
//! managed identity (`-Identity`), and the `AZURE_*` variables (`-EnvironmentVariable`); and `-Auto`, the
//! first of them (or the Azure CLI's sign-in) that the host offers, found as azure-identity's
//! default chain finds it. Each module names its application id and tenant parameters its own way
//! ([`SetNames`]); the parameters, the sets, their reading and what they become are the same everywhere.

use std::path::PathBuf;

use auth_core::{
    ChainAnswer, ClientCredential, ClientId, DefaultChain, EnvironmentCredential, FederatedTokenFile,
    ManagedIdentityId, Session, SignInMethod, Tenant, WorkloadIdentity, azure_client_id, azure_tenant_id,
};

use super::SetNames;
use crate::bind::{Bound, named};
use crate::declare::{Kind, Parameter, ParameterSet};
use crate::error::Result;

/// The name of the set of `-FromAzureCli` (its switch has the same name).
pub const FROM_AZURE_CLI_SET: &str = "FromAzureCli";

/// `-FromAzureCli`.
pub const FROM_AZURE_CLI: Parameter = Parameter {
    name: FROM_AZURE_CLI_SET,
    aliases: &[],
    kind: Kind::Switch,
    help: "Use the Azure CLI's sign-in (az login): its refresh token and its token cache, shared from \
           now on; no browser, no device code",
};
/// `-Account`: the Azure CLI's account, when it has several.
pub const ACCOUNT: Parameter = Parameter {
    name: "Account",
    aliases: &[],
    kind: Kind::Text("UPN"),
    help: "With --from-azure-cli: the Azure CLI's account to use, when it has several",
};

/// The parameters of the Azure CLI's sign-in: `-FromAzureCli` and `-Account`.
pub const AZURE_CLI_PARAMETERS: &[Parameter] = &[FROM_AZURE_CLI, ACCOUNT];

/// `-FederatedTokenFile PATH`.
pub const FEDERATED_TOKEN_FILE: Parameter = Parameter {
    name: "FederatedTokenFile",
    aliases: &[],
    kind: Kind::Text("PATH"),
    help: "Sign in as the application with the federated token (a JWT) in this file, read again for \
           every new token (Kubernetes rotates it); the application id and tenant come from their options \
           or AZURE_CLIENT_ID and AZURE_TENANT_ID",
};
/// `-WorkloadIdentity`.
pub const WORKLOAD_IDENTITY: Parameter = Parameter {
    name: "WorkloadIdentity",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in as the application with the federated token the environment offers: \
           AZURE_FEDERATED_TOKEN_FILE, GitHub Actions' OIDC token, or Azure Pipelines'",
};
/// `-ServiceConnectionId`: the Azure Pipelines service connection of `-WorkloadIdentity`.
pub const SERVICE_CONNECTION_ID: Parameter = Parameter {
    name: "ServiceConnectionId",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The Azure Pipelines service connection of --workload-identity \
           [default: AZURESUBSCRIPTION_SERVICE_CONNECTION_ID]",
};
/// `-Identity`.
pub const IDENTITY: Parameter = Parameter {
    name: "Identity",
    aliases: &["ManagedIdentity"],
    kind: Kind::Switch,
    help: "Sign in with the host's managed identity: system-assigned, or user-assigned with the \
           application id option, --object-id or --resource-id",
};
/// `-ObjectId`: a user-assigned managed identity by object id.
pub const OBJECT_ID: Parameter = Parameter {
    name: "ObjectId",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The object (principal) id of the user-assigned managed identity of --identity",
};
/// `-ResourceId`: a user-assigned managed identity by resource id.
pub const RESOURCE_ID: Parameter = Parameter {
    name: "ResourceId",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The Azure resource id of the user-assigned managed identity of --identity",
};
/// `-EnvironmentVariable`.
pub const ENVIRONMENT_VARIABLE: Parameter = Parameter {
    name: "EnvironmentVariable",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in as the AZURE_* variables say (AZURE_CLIENT_ID, AZURE_TENANT_ID and \
           AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE or \
           AZURE_USERNAME with AZURE_PASSWORD), as azure-identity does",
};
/// `-Auto`: the set and its switch.
pub const AUTO: Parameter = Parameter {
    name: AUTO_SET,
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in with the credential the environment offers, in azure-identity's default order: the \
           AZURE_* variables, workload identity, managed identity (IMDS probed for 1 s), the Azure CLI's \
           sign-in; AZURE_TOKEN_CREDENTIALS narrows it (dev, prod, or a credential's name)",
};

/// The parameters of the four secret-free sets and `-Auto`, besides the module's application id and
/// tenant.
pub const WORKLOAD_PARAMETERS: &[Parameter] = &[
    FEDERATED_TOKEN_FILE,
    WORKLOAD_IDENTITY,
    SERVICE_CONNECTION_ID,
    IDENTITY,
    OBJECT_ID,
    RESOURCE_ID,
    ENVIRONMENT_VARIABLE,
    AUTO,
];

/// The name of `-Auto`'s set (its switch has the same name).
pub const AUTO_SET: &str = "Auto";

/// The names of the four secret-free sets, which are also the types the contexts show.
pub const SET_NAMES: [&str; 4] = [
    "FederatedToken",
    "WorkloadIdentity",
    "ManagedIdentity",
    "EnvironmentVariable",
];

/// The sets, with the module's names: the four secret-free ones and `-Auto`, each also taking
/// `workload_common` (`-Environment`, `-WhatIf`…), then the Azure CLI's, which takes `-Account`, the
/// module's tenant and `azure_cli_common`.
pub fn sets(
    names: SetNames,
    workload_common: &[&'static Parameter],
    azure_cli_common: &[&'static Parameter],
) -> Vec<ParameterSet> {
    let (app, tenant) = (names.application_id, names.tenant);
    vec![
        ParameterSet::new(SET_NAMES[0], &[&FEDERATED_TOKEN_FILE], &[app, tenant]).also(workload_common),
        ParameterSet::new(
            SET_NAMES[1],
            &[&WORKLOAD_IDENTITY],
            &[app, tenant, &SERVICE_CONNECTION_ID],
        )
        .also(workload_common),
        ParameterSet::new(
            SET_NAMES[2],
            &[&IDENTITY],
            &[app, &OBJECT_ID, &RESOURCE_ID, tenant],
        )
        .also(workload_common),
        ParameterSet::new(SET_NAMES[3], &[&ENVIRONMENT_VARIABLE], &[]).also(workload_common),
        ParameterSet::new(AUTO_SET, &[&AUTO], &[app, tenant]).also(workload_common),
        ParameterSet::new(FROM_AZURE_CLI_SET, &[&FROM_AZURE_CLI], &[&ACCOUNT, tenant]).also(azure_cli_common),
    ]
}

/// One of these sets, holding exactly its parameters.
#[derive(Debug, Clone)]
pub enum SharedSignIn {
    /// A user the Azure CLI signed in (`-FromAzureCli`): its refresh token, silently, with the Azure
    /// CLI's own client; the connection keeps its tokens in the Azure CLI's cache.
    AzureCli {
        /// `-Account`: the sign-in name, when the Azure CLI has several accounts.
        account: Option<String>,
        /// The tenant option; the account's tenant in the Azure CLI when absent.
        tenant: Option<Tenant>,
    },
    /// A federated token in a file, read again for every token.
    FederatedToken {
        /// The file.
        path: PathBuf,
        /// The application id option, else `AZURE_CLIENT_ID`.
        client_id: Option<ClientId>,
        /// The tenant option, else `AZURE_TENANT_ID`.
        tenant: Option<Tenant>,
    },
    /// The federated token source the host offers.
    WorkloadIdentity {
        /// The application id option, else `AZURE_CLIENT_ID`.
        client_id: Option<ClientId>,
        /// The tenant option, else `AZURE_TENANT_ID`.
        tenant: Option<Tenant>,
        /// `-ServiceConnectionId`, else `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`.
        service_connection_id: Option<String>,
    },
    /// The host's managed identity.
    ManagedIdentity {
        /// System-assigned, or user-assigned by client, object or resource id.
        id: ManagedIdentityId,
        /// The tenant option, when given (the token says which tenant it is for).
        tenant: Option<Tenant>,
    },
    /// The `AZURE_*` variables.
    AzureVariables,
    /// The first credential the host offers ([`auth_core::DefaultChain`]): one of the
    /// others, or the Azure CLI's sign-in. The one that answered is the connection's from then on.
    Auto {
        /// The application id option: wins over `AZURE_CLIENT_ID` (workload identity, a user-assigned
        /// managed identity).
        client_id: Option<ClientId>,
        /// The tenant option, else `AZURE_TENANT_ID`, else the source's own.
        tenant: Option<Tenant>,
    },
}

/// A [`SharedSignIn`] resolved ([`SharedSignIn::resolve`]): what the typed request holds, so that
/// planning reads nothing. The variables are read and the files loaded when resolving.
#[derive(Debug, Clone)]
pub struct ResolvedSignIn {
    /// The application; `None` for a managed identity known by no client id, whose token names its
    /// application (the module's default client stands in until then).
    pub client_id: Option<ClientId>,
    /// The tenant.
    pub tenant: Option<Tenant>,
    /// How auth-core signs in.
    pub method: SignInMethod,
    /// Whether an application signs in (a user can, through `AZURE_USERNAME` and `AZURE_PASSWORD`).
    pub app_only: bool,
    /// The set whose sign-in runs: the one chosen, or for `-Auto` the one that answered
    /// (`FromAzureCli` for the Azure CLI's sign-in).
    pub answered: &'static str,
    /// The set chosen (`Auto` for `-Auto`).
    pub set: &'static str,
}

impl SharedSignIn {
    /// The set the binder resolved, when it is one of these.
    pub fn from_bound(bound: &Bound, names: SetNames) -> Result<Option<Self>> {
        Ok(Some(match bound.set_name() {
            FROM_AZURE_CLI_SET => Self::AzureCli {
                account: bound.text(&ACCOUNT)?,
                tenant: bound.tenant(names.tenant)?,
            },
            "FederatedToken" => Self::FederatedToken {
                path: PathBuf::from(bound.required_text(&FEDERATED_TOKEN_FILE)?),
                client_id: bound.client_id(names.application_id)?,
                tenant: bound.tenant(names.tenant)?,
            },
            "WorkloadIdentity" => Self::WorkloadIdentity {
                client_id: bound.client_id(names.application_id)?,
                tenant: bound.tenant(names.tenant)?,
                service_connection_id: bound.text(&SERVICE_CONNECTION_ID)?,
            },
            "ManagedIdentity" => {
                let client_id = bound.client_id(names.application_id)?;
                let object_id = bound.text(&OBJECT_ID)?;
                let resource_id = bound.text(&RESOURCE_ID)?;
                let id = match (client_id, object_id, resource_id) {
                    (None, None, None) => ManagedIdentityId::SystemAssigned,
                    (Some(client_id), None, None) => ManagedIdentityId::ClientId(client_id),
                    (None, Some(object_id), None) => {
                        named(&OBJECT_ID, ManagedIdentityId::object_id(&object_id))?
                    }
                    (None, None, Some(resource_id)) => {
                        named(&RESOURCE_ID, ManagedIdentityId::resource_id(&resource_id))?
                    }
                    (Some(_), Some(_), _) => return Err(bound.conflict(names.application_id, &OBJECT_ID)),
                    (Some(_), _, Some(_)) => return Err(bound.conflict(names.application_id, &RESOURCE_ID)),
                    (None, Some(_), Some(_)) => return Err(bound.conflict(&OBJECT_ID, &RESOURCE_ID)),
                };
                Self::ManagedIdentity {
                    id,
                    tenant: bound.tenant(names.tenant)?,
                }
            }
            "EnvironmentVariable" => Self::AzureVariables,
            AUTO_SET => Self::Auto {
                client_id: bound.client_id(names.application_id)?,
                tenant: bound.tenant(names.tenant)?,
            },
            _ => return Ok(None),
        }))
    }

    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::AzureCli { .. } => FROM_AZURE_CLI_SET,
            Self::FederatedToken { .. } => SET_NAMES[0],
            Self::WorkloadIdentity { .. } => SET_NAMES[1],
            Self::ManagedIdentity { .. } => SET_NAMES[2],
            Self::AzureVariables => SET_NAMES[3],
            Self::Auto { .. } => AUTO_SET,
        }
    }

    /// The sign-in, resolved with `session`'s variables (and, for `-EnvironmentVariable` with a
    /// certificate, its file loaded; for `-Auto`, the host's credential found): binding does this, so
    /// that planning reads nothing. The Azure CLI's is its own client's. The application id and tenant
    /// come from the module's options, else from `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`; a federated
    /// sign-in needs both, and the error names the option and the variable. A managed identity's
    /// application is the identity itself ([`ResolvedSignIn::client_id`]).
    pub fn resolve(self, session: &Session, names: SetNames) -> Result<ResolvedSignIn> {
        let set = self.set_name();
        let env = session.env();
        let app = |client_id: Option<ClientId>| -> Result<ClientId> {
            match client_id {
                Some(id) => Ok(id),
                None => azure_client_id(env)?.ok_or_else(|| -> crate::Error {
                    crate::Error::Invalid {
                        parameter: names.application_id,
                        reason:
                            "a federated sign-in needs the application id: give it or set AZURE_CLIENT_ID"
                                .into(),
                    }
                }),
            }
        };
        let tenant = |tenant: Option<Tenant>| -> Result<Tenant> {
            match tenant {
                Some(tenant) => Ok(tenant),
                None => azure_tenant_id(env)?.ok_or_else(|| -> crate::Error {
                    crate::Error::Invalid {
                        parameter: names.tenant,
                        reason: "a federated sign-in needs the tenant: give it or set AZURE_TENANT_ID".into(),
                    }
                }),
            }
        };
        Ok(match self {
            // the Azure CLI's refresh token was issued to its own client (a FOCI family member): that
            // client gets the token, whatever the module's default
            Self::AzureCli { account, tenant } => ResolvedSignIn {
                client_id: Some(ClientId::from_static(auth_core::AZURE_CLI_CLIENT_ID)),
                tenant,
                method: SignInMethod::AzureCli { account },
                app_only: false,
                answered: FROM_AZURE_CLI_SET,
                set,
            },
            Self::FederatedToken {
                path,
                client_id,
                tenant: given,
            } => ResolvedSignIn {
                client_id: Some(app(client_id)?),
                tenant: Some(tenant(given)?),
                method: SignInMethod::Application(ClientCredential::assertion(FederatedTokenFile::new(path))),
                app_only: true,
                answered: SET_NAMES[0],
                set,
            },
            Self::WorkloadIdentity {
                client_id,
                tenant: given,
                service_connection_id,
            } => {
                let workload = WorkloadIdentity::from_env_with(env, service_connection_id.as_deref())?;
                ResolvedSignIn {
                    client_id: Some(app(client_id)?),
                    tenant: Some(tenant(given)?),
                    method: SignInMethod::Application(workload.credential()),
                    app_only: true,
                    answered: SET_NAMES[1],
                    set,
                }
            }
            Self::ManagedIdentity { id, tenant } => ResolvedSignIn {
                client_id: match &id {
                    ManagedIdentityId::ClientId(client_id) => Some(client_id.clone()),
                    _ => None,
                },
                tenant,
                method: SignInMethod::ManagedIdentity(id),
                app_only: true,
                answered: SET_NAMES[2],
                set,
            },
            Self::AzureVariables => {
                let variables = EnvironmentCredential::from_env(env)?;
                let inner = variables.sign_in_method(session)?;
                ResolvedSignIn {
                    app_only: matches!(inner, SignInMethod::Application(_)),
                    client_id: Some(variables.client_id),
                    tenant: Some(variables.tenant),
                    method: SignInMethod::EnvironmentVariable(Box::new(inner)),
                    answered: SET_NAMES[3],
                    set,
                }
            }
            Self::Auto { client_id, tenant } => {
                let answer = DefaultChain::new(env)
                    .client_id(client_id.clone())
                    .shared_folders(crate::home::shared_folders(env))
                    .find()?;
                let resolved = match answer {
                    ChainAnswer::Environment(_) => Self::AzureVariables,
                    ChainAnswer::WorkloadIdentity(_) => Self::WorkloadIdentity {
                        client_id,
                        tenant,
                        service_connection_id: None,
                    },
                    ChainAnswer::ManagedIdentity { id, .. } => Self::ManagedIdentity { id, tenant },
                    ChainAnswer::AzureCli(account) => Self::AzureCli {
                        account: Some(account.username),
                        tenant,
                    },
                };
                ResolvedSignIn {
                    set,
                    ..resolved.resolve(session, names)?
                }
            }
        })
    }

    /// What `-WhatIf` names for `-Auto`: the credential the host offers, found without signing
    /// in (`ManagedIdentityCredential (IMDS)`); `None` for the other sets. An error when none answers.
    pub fn auto_target(bound: &Bound, env: &auth_core::EnvVars) -> Result<Option<String>> {
        if bound.set_name() != AUTO_SET {
            return Ok(None);
        }
        // the set takes the module's application id option first ([`sets`])
        let client_id = match bound.set().optional.first() {
            Some(application_id) => bound.client_id(application_id)?,
            None => None,
        };
        Ok(Some(
            DefaultChain::new(env)
                .client_id(client_id)
                .shared_folders(crate::home::shared_folders(env))
                .find()?
                .describe(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::Argument;
    use crate::sample::SAMPLE;
    use crate::sets::partner_sdk::NAMES;

    const APP: &str = "0c7a1f00-0000-4000-8000-00000000f00d";
    const TID: &str = "7a0b9c1d-0000-4000-8000-00000000a001";

    fn parse(arguments: Vec<(&str, Argument)>) -> Result<Option<SharedSignIn>> {
        let bound = SAMPLE.bind(arguments)?;
        SharedSignIn::from_bound(&bound, NAMES)
    }

    fn text(value: &str) -> Argument {
        Argument::Text(value.into())
    }

    fn session(pairs: &[(&str, &str)]) -> Session {
        test_support::session_with(auth_core::EnvVars::from_pairs(pairs.iter().copied())).0
    }

    #[test]
    fn the_options_win_over_the_azure_variables_and_either_will_do() {
        let set = parse(vec![
            ("-FederatedTokenFile", text("/var/run/token")),
            ("-ApplicationId", text(APP)),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(set.set_name(), "FederatedToken");
        let plan = set
            .resolve(
                &session(&[
                    ("AZURE_CLIENT_ID", "11111111-1111-4111-8111-111111111111"),
                    ("AZURE_TENANT_ID", TID),
                ]),
                NAMES,
            )
            .unwrap();
        assert_eq!(plan.client_id.unwrap().as_str(), APP);
        assert_eq!(plan.tenant.unwrap().as_str(), TID);
        assert_eq!(plan.method.name(), "FederatedTokenFile");
        assert!(plan.app_only);
    }

    #[test]
    fn a_federated_sign_in_without_application_or_tenant_names_the_option_and_the_variable() {
        let set = || parse(vec![("-FederatedTokenFile", text("/t"))]).unwrap().unwrap();
        let error = set().resolve(&session(&[]), NAMES).unwrap_err();
        insta::assert_snapshot!(error, @"invalid application_id: a federated sign-in needs the application id: give it or set AZURE_CLIENT_ID");
        let error = set()
            .resolve(&session(&[("AZURE_CLIENT_ID", APP)]), NAMES)
            .unwrap_err();
        insta::assert_snapshot!(error, @"invalid tenant: a federated sign-in needs the tenant: give it or set AZURE_TENANT_ID");
        let error = set()
            .resolve(&session(&[("AZURE_CLIENT_ID", "not-a-guid")]), NAMES)
            .unwrap_err();
        assert!(error.to_string().contains("AZURE_CLIENT_ID"), "{error}");
    }

    #[test]
    fn a_managed_identity_is_system_assigned_or_named_by_one_id() {
        let id = |arguments| match parse(arguments).unwrap().unwrap() {
            SharedSignIn::ManagedIdentity { id, .. } => id,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            id(vec![("-Identity", Argument::Switch)]),
            ManagedIdentityId::SystemAssigned
        );
        assert_eq!(
            id(vec![
                ("-Identity", Argument::Switch),
                ("-ApplicationId", text(APP))
            ]),
            ManagedIdentityId::ClientId(ClientId::from_static(APP))
        );
        assert_eq!(
            id(vec![("-Identity", Argument::Switch), ("-ObjectId", text(TID))]),
            ManagedIdentityId::ObjectId(TID.into())
        );
        let error = parse(vec![
            ("-Identity", Argument::Switch),
            ("-ObjectId", text(TID)),
            ("-ResourceId", text("/subscriptions/x")),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("-ObjectId") && error.to_string().contains("-ResourceId"));
        let error = parse(vec![("-Identity", Argument::Switch), ("-ObjectId", text("nope"))]).unwrap_err();
        assert!(error.to_string().contains("-ObjectId"), "{error}");
        // another set is not one of these
        assert!(parse(vec![("-Tenant", text(TID))]).unwrap().is_none());
    }

    #[test]
    fn the_environment_variable_set_says_which_variable_is_missing() {
        let set = parse(vec![("-EnvironmentVariable", Argument::Switch)])
            .unwrap()
            .unwrap();
        let error = set
            .resolve(
                &session(&[("AZURE_CLIENT_SECRET", "s"), ("AZURE_TENANT_ID", TID)]),
                NAMES,
            )
            .unwrap_err();
        assert!(error.to_string().contains("AZURE_CLIENT_ID"), "{error}");
        assert!(!error.to_string().contains("\"s\""), "{error}");
        let set = parse(vec![("-EnvironmentVariable", Argument::Switch)])
            .unwrap()
            .unwrap();
        let plan = set
            .resolve(
                &session(&[
                    ("AZURE_USERNAME", "a@contoso.com"),
                    ("AZURE_PASSWORD", "pw"),
                    ("AZURE_CLIENT_ID", APP),
                ]),
                NAMES,
            )
            .unwrap();
        assert!(!plan.app_only, "a user name and password sign a user in");
        assert_eq!(plan.method.effective().name(), "UsernamePassword");
    }
}
