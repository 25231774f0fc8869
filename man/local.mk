# man: the operator's reference pages.
dist_man_MANS += man/starlingd.8 man/starlingctl.8 man/starling.yml.5
