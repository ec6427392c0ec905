/* api-top.c - GET /containers/{id}/top: the processes of a running
 * container, as Docker's answer to `ps -ef` filtered to them: every process
 * of the host whose pid namespace is the container's, read from /proc
 * (no ps(1) run from the loop thread).  Titles UID PID PPID C STIME TTY
 * TIME CMD. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/api.h"
#include "core/controller.h"
#include "core/ctl-container.h"
#include "core/util.h"

/* The inode of pid's pid namespace, 0 when it cannot be read. */
static ino_t top_pidns(const char *pid)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/pid", pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static char *top_read(const char *pid, const char *file, size_t *ret_len)
{
	char path[300], *buf = xcalloc(1, 4097);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	f = fopen(path, "re");
	if (!f) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, 4096, f);
	fclose(f);
	buf[n] = 0;
	if (ret_len)
		*ret_len = n;
	return buf;
}

/* One row of `ps -ef` for pid, or NULL when it went meanwhile. */
static json_t *top_row(const char *pid, long hz, time_t boot)
{
	_cleanup_free_ char *stat = top_read(pid, "stat", NULL);
	_cleanup_free_ char *status = NULL, *cmdline = NULL;
	char uid_s[32] = "?", ppid_s[16], stime[16], cpu[32], tty[16] = "?", *p, *comm_end,
	     comm[64] = "";
	unsigned long long utime = 0, stm = 0, start = 0;
	int ppid = 0, tty_nr = 0;
	size_t len = 0;
	struct tm tm;
	time_t started;
	unsigned long secs;

	if (!stat || !(p = strchr(stat, '(')) || !(comm_end = strrchr(stat, ')')))
		return NULL;
	snprintf(comm, sizeof(comm), "%.*s", (int)(comm_end - p - 1), p + 1);
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime */
	if (sscanf(comm_end + 2,
		   "%*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
		   "%llu",
		   &ppid, &tty_nr, &utime, &stm, &start) != 5)
		return NULL;
	status = top_read(pid, "status", NULL);
	if (status && (p = strstr(status, "\nUid:"))) {
		unsigned uid = (unsigned)strtoul(p + 5, NULL, 10);
		struct passwd *pw = getpwuid(uid);

		snprintf(uid_s, sizeof(uid_s), "%s", pw ? pw->pw_name : "");
		if (!pw)
			snprintf(uid_s, sizeof(uid_s), "%u", uid);
	}
	if (tty_nr)
		snprintf(tty, sizeof(tty), "pts/%d", (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
	started = boot + (time_t)(start / (unsigned long long)hz);
	localtime_r(&started, &tm);
	strftime(stime, sizeof(stime), "%H:%M", &tm);
	secs = (unsigned long)((utime + stm) / (unsigned long long)hz);
	snprintf(cpu, sizeof(cpu), "%02lu:%02lu:%02lu", secs / 3600, secs / 60 % 60, secs % 60);
	cmdline = top_read(pid, "cmdline", &len);
	if (cmdline && len) {
		for (size_t i = 0; i + 1 < len; i++)
			if (!cmdline[i])
				cmdline[i] = ' ';
	} else {
		free(cmdline);
		cmdline = xasprintf("[%s]", comm);
	}
	snprintf(ppid_s, sizeof(ppid_s), "%d", ppid);
	return json_pack("[s, s, s, s, s, s, s, s]", uid_s, pid, ppid_s, "0", stime, tty, cpu,
			 cmdline);
}

static time_t top_boot_time(void)
{
	struct timespec now, up;

	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_BOOTTIME, &up);
	return now.tv_sec - up.tv_sec;
}

static void api_ctr_top(struct api *api, struct http_req *req, char **params)
{
	const char *args = http_req_query(req, "ps_args");
	struct berr *err = NULL;
	struct container *c;
	pid_t pid = 0;
	json_t *rows;
	char key[24];
	ino_t ns;
	DIR *d;
	struct dirent *e;
	long hz = sysconf(_SC_CLK_TCK);
	time_t boot = top_boot_time();

	ctl_read_lock(api->ctl);
	if (ctl_container_find(api->ctl, params[0], &c, &err) == 0) {
		if (c->status == CTR_RUNNING && c->pid)
			pid = c->pid;
		else
			berr_set(&err, EBUSY, "container %s is not running", c->name);
	}
	ctl_read_unlock(api->ctl);
	if (!pid) {
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	if (args && *args && !streq(args, "-ef") && !streq(args, "ef")) {
		berr_set(&err, EINVAL, "ps_args %s: berth lists processes as ps -ef only", args);
		api_reply_berr(req, err);
		berr_free(err);
		return;
	}
	snprintf(key, sizeof(key), "%d", (int)pid);
	ns = top_pidns(key);
	rows = json_array();
	d = opendir("/proc");
	while (ns && d && (e = readdir(d))) {
		json_t *row;

		if (!isdigit((unsigned char)e->d_name[0]) || top_pidns(e->d_name) != ns)
			continue;
		if ((row = top_row(e->d_name, hz > 0 ? hz : 100, boot)))
			json_array_append_new(rows, row);
	}
	if (d)
		closedir(d);
	http_reply_json(req, 200,
			json_pack("{s:[s, s, s, s, s, s, s, s], s:o}", "Titles", "UID", "PID",
				  "PPID", "C", "STIME", "TTY", "TIME", "CMD", "Processes", rows));
}

const struct api_route api_top_routes[] = {
	{"GET", "/containers/{id}/top", api_ctr_top},
	{0},
};
