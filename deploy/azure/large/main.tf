# Large scale (docs/reference: 10k+ users/day): West Europe primary + North Europe secondary,
# Azure Front Door Premium (WAF-ready, 70/30 weighted, health probe on /health/ready),
# PostgreSQL D4ds_v4 zone-redundant HA with a read replica in the primary region and a
# cross-region replica in the secondary (promotable), Redis Premium P2 per region,
# geo-zone-redundant (GZRS) storage, Key Vault Premium, App Insights.
#
# Writes always go to the primary server; each region reads from its local replica
# (COMPLIANCE_DATABASE__READ_URL). Failover: docs/operations.md.

terraform {
  required_version = ">= 1.6"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "azurerm" {
  features {}
}

locals {
  tags = { application = "compliance-assistant", topology = "large" }
  settings = {
    COMPLIANCE_GTC__SMART_SEARCH_URL                 = var.smart_search_url
    COMPLIANCE_BLOB__AZURE_CONTAINER                 = module.shared.blob_container
    COMPLIANCE_DATABASE__DISABLE_PREPARED_STATEMENTS = "true"
    COMPLIANCE_DATABASE__POOL_SIZE                   = "20"
  }
}

resource "azurerm_resource_group" "main" {
  name     = "${var.name}-rg"
  location = var.location
  tags     = local.tags
}

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "random_password" "api_key_pepper" {
  length  = 48
  special = false
}

module "shared" {
  source              = "../modules/shared"
  name                = var.name
  resource_group_name = azurerm_resource_group.main.name
  location            = var.location
  storage_replication = "GZRS"
  key_vault_sku       = "premium"
  log_retention_days  = 90
  articles_days       = var.articles_days
  gtc_pdf_days        = var.gtc_pdf_days
  tags                = local.tags
}

module "secrets" {
  source               = "../modules/secrets"
  name                 = var.name
  key_vault_id         = module.shared.key_vault_id
  api_key_pepper       = random_password.api_key_pepper.result
  blob_connection      = module.shared.blob_connection_string
  smart_search_api_key = var.smart_search_api_key
  llm_api_key          = var.llm_api_key
  depends_on           = [module.shared]
}

module "primary" {
  source                         = "../modules/region"
  name                           = "${var.name}-we"
  resource_group_name            = azurerm_resource_group.main.name
  location                       = var.location
  image                          = var.image
  identity_id                    = module.shared.identity_id
  key_vault_id                   = module.shared.key_vault_id
  log_analytics_workspace_id     = module.shared.log_analytics_workspace_id
  shared_secret_ids              = module.secrets.secret_ids
  database_admin_password        = random_password.database.result
  local_read_replica             = true
  postgres_sku                   = "GP_Standard_D4ds_v4"
  postgres_storage_mb            = 262144
  postgres_backup_retention_days = 35
  postgres_zone_redundant_ha     = true
  redis_sku                      = { name = "Premium", family = "P", capacity = 2 }
  api_replicas                   = { min = 3, max = 20 }
  worker_replicas                = { min = 3, max = 20 }
  app_cpu                        = 1
  app_memory                     = "2Gi"
  mlflow_tracking_uri            = var.mlflow_tracking_uri
  settings                       = local.settings
  tags                           = local.tags
}

module "secondary" {
  source                     = "../modules/region"
  name                       = "${var.name}-ne"
  resource_group_name        = azurerm_resource_group.main.name
  location                   = var.secondary_location
  image                      = var.image
  identity_id                = module.shared.identity_id
  key_vault_id               = module.shared.key_vault_id
  log_analytics_workspace_id = module.shared.log_analytics_workspace_id
  shared_secret_ids          = module.secrets.secret_ids
  database_admin_password    = random_password.database.result
  primary                    = false
  database_replica_of        = module.primary.postgres_id
  database_primary_fqdn      = module.primary.postgres_fqdn
  postgres_sku               = "GP_Standard_D2ds_v4"
  postgres_storage_mb        = 262144
  redis_sku                  = { name = "Premium", family = "P", capacity = 2 }
  api_replicas               = { min = 2, max = 15 }
  worker_replicas            = { min = 2, max = 15 }
  app_cpu                    = 1
  app_memory                 = "2Gi"
  mlflow_tracking_uri        = var.mlflow_tracking_uri
  settings                   = local.settings
  tags                       = local.tags
}

# --- Azure Front Door: one global endpoint in front of both regions ---------------------------

resource "azurerm_cdn_frontdoor_profile" "main" {
  name                = "${var.name}-fd"
  resource_group_name = azurerm_resource_group.main.name
  sku_name            = "Premium_AzureFrontDoor"
  tags                = local.tags
}

resource "azurerm_cdn_frontdoor_endpoint" "api" {
  name                     = "${var.name}-api"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id
}

resource "azurerm_cdn_frontdoor_origin_group" "api" {
  name                     = "api"
  cdn_frontdoor_profile_id = azurerm_cdn_frontdoor_profile.main.id
  session_affinity_enabled = false

  # /health/ready fails when a region's database, blob store or queue is down: Front Door
  # then sends all traffic to the other region.
  health_probe {
    protocol            = "Https"
    path                = "/health/ready"
    request_type        = "GET"
    interval_in_seconds = 30
  }

  load_balancing {
    sample_size                        = 4
    successful_samples_required        = 3
    additional_latency_in_milliseconds = 50
  }
}

resource "azurerm_cdn_frontdoor_origin" "primary" {
  name                           = "west-europe"
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.api.id
  enabled                        = true
  host_name                      = module.primary.api_fqdn
  origin_host_header             = module.primary.api_fqdn
  certificate_name_check_enabled = true
  priority                       = 1
  weight                         = 70
}

resource "azurerm_cdn_frontdoor_origin" "secondary" {
  name                           = "north-europe"
  cdn_frontdoor_origin_group_id  = azurerm_cdn_frontdoor_origin_group.api.id
  enabled                        = true
  host_name                      = module.secondary.api_fqdn
  origin_host_header             = module.secondary.api_fqdn
  certificate_name_check_enabled = true
  priority                       = 1
  weight                         = 30
}

resource "azurerm_cdn_frontdoor_route" "api" {
  name                          = "api"
  cdn_frontdoor_endpoint_id     = azurerm_cdn_frontdoor_endpoint.api.id
  cdn_frontdoor_origin_group_id = azurerm_cdn_frontdoor_origin_group.api.id
  cdn_frontdoor_origin_ids      = [azurerm_cdn_frontdoor_origin.primary.id, azurerm_cdn_frontdoor_origin.secondary.id]
  supported_protocols           = ["Https"]
  https_redirect_enabled        = false
  patterns_to_match             = ["/*"]
  forwarding_protocol           = "HttpsOnly"
  link_to_default_domain        = true
}

output "api_url" {
  value = "https://${azurerm_cdn_frontdoor_endpoint.api.host_name}"
}

output "application_insights_connection_string" {
  value     = module.shared.application_insights_connection_string
  sensitive = true
}
