# conf: the fully commented example configuration, installed where starlingd looks by default.
starlingconfdir = $(sysconfdir)/starling
dist_starlingconf_DATA = conf/starling.yml
