"""The customer archive (客户档案): the list and search (F5), one customer's file, its forms."""
