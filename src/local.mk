# The programs.
sbin_PROGRAMS += starlingd
starlingd_SOURCES = src/starlingd.cpp
starlingd_LDADD = libstarling.la $(BOOST_PO_LIBS) $(STARLING_DEP_LIBS)

bin_PROGRAMS += starlingctl
starlingctl_SOURCES = src/starlingctl.cpp
starlingctl_LDADD = libstarling.la $(BOOST_PO_LIBS) $(STARLING_DEP_LIBS)
