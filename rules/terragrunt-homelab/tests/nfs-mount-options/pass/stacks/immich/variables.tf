variable "nfs_server" {
  type = string
}
