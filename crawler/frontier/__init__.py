"""A crawl frontier shared by many worker processes, on scrapy-redis.

scrapy-redis gives the shared request queue (`PriorityQueue`) and the shared seen-URL set
(`RFPDupeFilter`); this package adds what an archive needs on top of them: a request taken by a
worker that dies is handed to another (`queue.AcknowledgedQueue`), one run of a site at a time across
the cluster (`lock.ClusterRunLock`), and the keys of one site kept apart from another's (`keys`).
Only scrapy-redis's scheduler, queues and duplicate filter are used, never its `RedisSpider`.
"""
