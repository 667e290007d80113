# Medium scale (docs/reference: 1-10k users/day, West Europe): one region, Container Apps
# 2-10 replicas of 0.5 vCPU / 1 GiB, PostgreSQL Flexible Server D2ds_v4 (14 days backups,
# geo-redundant), Redis Basic C1, ZRS storage with lifecycle rules, Key Vault, App Insights.
#
#   cd deploy/azure/medium
#   export TF_VAR_smart_search_api_key=…   # secrets come from the environment, never from git
#   terraform init && terraform plan -var image=myregistry.azurecr.io/compliance-assistant:0.1.0

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
  tags = { application = "compliance-assistant", topology = "medium" }
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
  storage_replication = "ZRS"
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
  # The deployer's "Key Vault Secrets Officer" role must exist before secrets are written.
  depends_on = [module.shared]
}

module "region" {
  source                     = "../modules/region"
  name                       = "${var.name}-we"
  resource_group_name        = azurerm_resource_group.main.name
  location                   = var.location
  image                      = var.image
  identity_id                = module.shared.identity_id
  key_vault_id               = module.shared.key_vault_id
  log_analytics_workspace_id = module.shared.log_analytics_workspace_id
  shared_secret_ids          = module.secrets.secret_ids
  database_admin_password    = random_password.database.result
  local_read_replica         = var.read_replica
  postgres_sku               = "GP_Standard_D2ds_v4"
  postgres_storage_mb        = 131072
  postgres_backup_retention_days = 14
  redis_sku                  = { name = "Basic", family = "C", capacity = 1 }
  api_replicas               = { min = 2, max = 10 }
  worker_replicas            = { min = 2, max = 10 }
  app_cpu                    = 0.5
  app_memory                 = "1Gi"
  mlflow_tracking_uri        = var.mlflow_tracking_uri
  settings = {
    COMPLIANCE_GTC__SMART_SEARCH_URL = var.smart_search_url
    COMPLIANCE_BLOB__AZURE_CONTAINER = module.shared.blob_container
    COMPLIANCE_DATABASE__DISABLE_PREPARED_STATEMENTS = "true"
  }
  tags = local.tags
}

output "api_url" {
  value = "https://${module.region.api_fqdn}"
}

output "application_insights_connection_string" {
  value     = module.shared.application_insights_connection_string
  sensitive = true
}
