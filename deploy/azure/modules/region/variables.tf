variable "name" {
  description = "Name prefix of this region's resources."
  type        = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "image" {
  description = "Container image, e.g. myregistry.azurecr.io/compliance-assistant:0.1.0."
  type        = string
}

variable "identity_id" {
  description = "User-assigned managed identity of the apps (reads Key Vault secrets)."
  type        = string
}

variable "key_vault_id" {
  type = string
}

variable "log_analytics_workspace_id" {
  type = string
}

variable "shared_secret_ids" {
  description = "Key Vault secret ids shared by every region: api-key-pepper, blob-connection-string, smart-search-api-key and (optional) llm-api-key."
  type        = map(string)
}

variable "database_admin_login" {
  type    = string
  default = "compliance"
}

variable "database_admin_password" {
  type      = string
  sensitive = true
}

variable "primary" {
  description = "true: this region runs the writable primary server; false: a replica of database_replica_of."
  type        = bool
  default     = true
}

variable "database_replica_of" {
  description = "null: this region runs the primary server. Otherwise the primary's id: this region gets a read replica and sends writes to database_primary_fqdn."
  type        = string
  default     = null
}

variable "database_primary_fqdn" {
  description = "FQDN of the primary server (only with database_replica_of)."
  type        = string
  default     = null
}

variable "local_read_replica" {
  description = "Add a read replica in this region for listings and analytics (primary region)."
  type        = bool
  default     = false
}

variable "postgres_sku" {
  type    = string
  default = "GP_Standard_D2ds_v4"
}

variable "postgres_storage_mb" {
  type    = number
  default = 131072
}

variable "postgres_backup_retention_days" {
  type    = number
  default = 14
}

variable "postgres_zone_redundant_ha" {
  type    = bool
  default = false
}

variable "redis_sku" {
  description = "Basic C1 (medium) or Premium P2 (large)."
  type = object({
    name     = string
    family   = string
    capacity = number
  })
  default = { name = "Basic", family = "C", capacity = 1 }
}

variable "api_replicas" {
  type    = object({ min = number, max = number })
  default = { min = 2, max = 10 }
}

variable "worker_replicas" {
  type    = object({ min = number, max = number })
  default = { min = 2, max = 10 }
}

variable "app_cpu" {
  type    = number
  default = 0.5
}

variable "app_memory" {
  type    = string
  default = "1Gi"
}

variable "worker_concurrency" {
  description = "worker.concurrency: jobs one worker runs at once; also the KEDA target per worker."
  type        = number
  default     = 4
}

variable "settings" {
  description = "More non-secret settings as COMPLIANCE_* environment variables."
  type        = map(string)
  default     = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "mlflow_tracking_uri" {
  description = "tracking.mlflow_tracking_uri (an MLflow server); null turns tracking off."
  type        = string
  default     = null
}
