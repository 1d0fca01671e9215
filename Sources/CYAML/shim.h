#ifndef IMDS_CYAML_SHIM_H
#define IMDS_CYAML_SHIM_H

/* libyaml (Debian's libyaml-dev) reads the configuration file: the YAML 1.1 parser that
 * PyYAML and Ruby's Psych are built on, kept by Debian, and the one Yams wrapped; used
 * directly, it brings no Foundation (Yams imports it for NSRegularExpression, and with it
 * ICU) into the binary. */
#include <yaml.h>

#endif
