variable "name" {
  description = "Name prefix (lowercase letters, digits, hyphens)."
  type        = string
  default     = "compliance"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "image" {
  description = "Container image with tag, e.g. myregistry.azurecr.io/compliance-assistant:0.1.0."
  type        = string
}

variable "smart_search_url" {
  type = string
}

variable "smart_search_api_key" {
  description = "Give it as TF_VAR_smart_search_api_key; stored in Key Vault only."
  type        = string
  sensitive   = true
}

variable "llm_api_key" {
  description = "Optional: TF_VAR_llm_api_key; the provider and model go in settings."
  type        = string
  sensitive   = true
  default     = null
}

variable "mlflow_tracking_uri" {
  type    = string
  default = null
}

variable "read_replica" {
  description = "The reference architecture's optional reporting replica (+€80/month)."
  type        = bool
  default     = false
}

variable "articles_days" {
  description = "retention.articles_days."
  type        = number
  default     = 180
}

variable "gtc_pdf_days" {
  description = "retention.gtc_pdf_days."
  type        = number
  default     = 30
}
