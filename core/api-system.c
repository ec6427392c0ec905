/* api-system.c - /_ping, /version and /info. */
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/util.h"

#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif
#ifndef BERTH_BUILD_TIME
#define BERTH_BUILD_TIME ""
#endif

static void api_ping(struct api *api, struct http_req *req, char **params)
{
	(void)api, (void)params;
	http_req_add_reply_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	http_req_add_reply_header(req, "Pragma", "no-cache");
	http_req_add_reply_header(req, "Swarm", "inactive");
	/* HEAD answers with an empty body and Content-Length 0, as Docker does */
	http_reply(req, 200, "text/plain; charset=utf-8", "OK",
		   streq(http_req_method(req), "HEAD") ? 0 : 2);
}

/* Go's name of the machine's architecture, as Docker reports it. */
static const char *api_arch(const char *machine)
{
	if (streq(machine, "x86_64"))
		return "amd64";
	if (streq(machine, "aarch64"))
		return "arm64";
	return machine;
}

static void api_version(struct api *api, struct http_req *req, char **params)
{
	struct utsname u;
	const char *arch;
	json_t *details, *v;

	(void)api, (void)params;
	uname(&u);
	arch = api_arch(u.machine);
	details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
			    API_VERSION, "MinAPIVersion", API_MIN_VERSION, "GitCommit",
			    BERTH_GIT_COMMIT, "GoVersion", "n/a", "Os", "linux", "Arch", arch,
			    "KernelVersion", u.release, "BuildTime", BERTH_BUILD_TIME,
			    "Experimental", "false");
	v = json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		      " s:s, s:b}",
		      "Platform", "Name", "berth", "Components", "Name", "Engine", "Version",
		      BERTH_VERSION, "Details", details, "Version", BERTH_VERSION, "ApiVersion",
		      API_VERSION, "MinAPIVersion", API_MIN_VERSION, "GitCommit", BERTH_GIT_COMMIT,
		      "GoVersion", "n/a", "Os", "linux", "Arch", arch, "KernelVersion", u.release,
		      "BuildTime", BERTH_BUILD_TIME, "Experimental", false);
	http_reply_json(req, 200, v);
}

/* PRETTY_NAME from os-release, or "Linux". */
static char *api_os_name(void)
{
	FILE *f = fopen("/etc/os-release", "re");
	char *line = NULL, *name = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		if (strprefix(line, "PRETTY_NAME=")) {
			char *v = line + strlen("PRETTY_NAME=");

			v[strcspn(v, "\n")] = '\0';
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = '\0';
			}
			name = xstrdup(v);
			break;
		}
	}
	free(line);
	if (f)
		fclose(f);
	return name ? name : xstrdup("Linux");
}

static const char *api_cgroup_version(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "2";
	return "1";
}

static void api_info(struct api *api, struct http_req *req, char **params)
{
	_cleanup_free_ char *os = api_os_name();
	char host[256] = "";
	struct utsname u;
	struct sysinfo si;
	json_t *info;

	(void)params;
	uname(&u);
	sysinfo(&si);
	gethostname(host, sizeof(host) - 1);
	info = json_pack(
		"{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		" s:I, s:I, s:s, s:s, s:s, s:s}",
		"ID", api->engine_id, "Containers", 0, "ContainersRunning", 0, "ContainersPaused",
		0, "ContainersStopped", 0, "Images", 0, "Driver", "overlayfs", "Name", host,
		"ServerVersion", BERTH_VERSION, "OperatingSystem", os, "OSType", "linux",
		"Architecture", u.machine, "KernelVersion", u.release, "DockerRootDir", api->root,
		"NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
		(json_int_t)si.totalram * si.mem_unit, "LoggingDriver", "json-file", "CgroupDriver",
		"cgroupfs", "CgroupVersion", api_cgroup_version(), "IndexServerAddress", "");
	json_object_set_new(info, "Plugins",
			    json_pack("{s:[s], s:[s, s, s, s, s, s], s:[s]}", "Volume", "local",
				      "Network", "bridge", "host", "ipvlan", "macvlan", "null",
				      "overlay", "Log", "json-file"));
	/* as Docker's daemons had them while it had a key-value store */
	json_object_set_new(info, "ClusterStore", json_string(api->ctl->cluster_store ?: ""));
	json_object_set_new(info, "ClusterAdvertise",
			    json_string(api->ctl->cluster_advertise ?: ""));
	json_object_set_new(info, "Swarm",
			    json_pack("{s:s, s:s, s:s, s:b}", "LocalNodeState", "inactive",
				      "NodeID", "", "NodeAddr", "", "ControlAvailable", false));
	json_object_set_new(info, "SecurityOptions", json_pack("[s]", "name=no-new-privileges"));
	json_object_set_new(info, "ExecRoot", json_string(api->exec_root));
	json_object_set_new(info, "Warnings", json_null());
	http_reply_json(req, 200, info);
}

const struct api_route api_system_routes[] = {
	{"GET", "/_ping", api_ping},
	{"GET", "/version", api_version},
	{"GET", "/info", api_info},
	{0},
};
