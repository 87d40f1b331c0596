nfs_server = "192.168.1.127"
