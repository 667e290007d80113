variable "name" {
  description = "Name prefix of every resource (lowercase letters and digits)."
  type        = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type = string
}

variable "storage_replication" {
  description = "ZRS for medium (one region), GZRS for large (replicated to the paired region)."
  type        = string
  default     = "ZRS"
}

variable "blob_container" {
  description = "blob.azure_container of the app."
  type        = string
  default     = "compliance"
}

# Retention: keep equal to the app's `retention` settings (tests/ops checks the defaults).
variable "articles_days" {
  description = "retention.articles_days: articles are deleted after this many days."
  type        = number
  default     = 180
}

variable "gtc_pdf_days" {
  description = "retention.gtc_pdf_days: cached GTC documents are deleted after this many days."
  type        = number
  default     = 30
}

variable "cool_after_days" {
  description = "Blobs move from the hot to the cool tier after this many days."
  type        = number
  default     = 30
}

variable "key_vault_sku" {
  type    = string
  default = "standard"
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "tags" {
  type    = map(string)
  default = {}
}
