/* version.h: the one version of every command (guestd, mosrun, mosmigrate,
 * mosps, mosctl); --version prints "NAME (mosix-appliance) VERSION". */
#ifndef APPLIANCE_VERSION_H
#define APPLIANCE_VERSION_H

#define MOSIX_VERSION "0.4"
#define MOSIX_VERSION_FMT "%s (mosix-appliance) " MOSIX_VERSION "\n"

#endif
