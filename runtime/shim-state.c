/* shim-state.c - the files of a container's state dir that both sides
 * read: config.json (written by rt_start), exit.json (written by the shim
 * when the container has ended) and the address of shim.sock.  Written
 * atomically so that a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/shim.h"

/* Write all of buf to fd. */
static int shim_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n, len -= (size_t)n;
	}
	return 0;
}

/* Write obj to dir/name: temp file, fsync, rename. */
int shim_json_write(const char *dir, const char *name, json_t *obj, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	_cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	_cleanup_close_ int fd = -1;
	int r;

	if (!text)
		return berr_set(err, EINVAL, "cannot encode %s", name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_set(err, errno, "cannot create %s: %m", tmp);
	if ((r = shim_write_all(fd, text, strlen(text))) < 0 || fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		unlink(tmp);
		return berr_set(err, -r, "cannot write %s: %s", tmp, strerror(-r));
	}
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return berr_set(err, r, "cannot rename %s: %s", tmp, strerror(r));
	}
	return 0;
}

/* Load dir/name as JSON; ENOENT when the file does not exist. */
int shim_json_read(const char *dir, const char *name, json_t **ret, struct berr **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	json_error_t jerr;
	json_t *obj;

	if (access(path, F_OK) < 0)
		return berr_set(err, errno, "%s: %m", path);
	obj = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!obj)
		return berr_set(err, EINVAL, "%s: line %d: %s", path, jerr.line, jerr.text);
	*ret = obj;
	return 0;
}

/* Record how the container ended in dir/exit.json. */
int shim_exit_write(const char *dir, const struct rt_exit *ex, struct berr **err)
{
	_cleanup_json_ json_t *obj = NULL;
	char ts[64];

	util_time_rfc3339(&ex->finished, ts, sizeof(ts));
	obj = json_pack("{s:i, s:b, s:s}", "exit_code", ex->exit_code, "oom_killed", ex->oom_killed,
			"finished", ts);
	return shim_json_write(dir, SHIM_EXIT, obj, err);
}

/* Decode exit.json. */
int shim_exit_from_json(json_t *obj, struct rt_exit *ret, struct berr **err)
{
	json_t *code = json_object_get(obj, "exit_code");
	json_t *oom = json_object_get(obj, "oom_killed");
	const char *fin = json_string_value(json_object_get(obj, "finished"));
	struct rt_exit ex = {0};

	if (!json_is_integer(code) || json_integer_value(code) < 0 ||
	    json_integer_value(code) > 255 || !json_is_boolean(oom) || !fin ||
	    util_time_parse(fin, &ex.finished) < 0)
		return berr_set(err, EINVAL, "exit.json: malformed");
	ex.exit_code = (int)json_integer_value(code);
	ex.oom_killed = json_is_true(oom);
	*ret = ex;
	return 0;
}

/* Connect to <state>/shim.sock.  A path longer than sun_path is reached
 * through /proc/self/fd of the directory. */
int shim_sock_connect(const char *state_dir, struct berr **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int dirfd = -1;
	int fd, r;

	if (strlen(state_dir) + sizeof("/" SHIM_SOCK) <= sizeof(sa.sun_path)) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" SHIM_SOCK, state_dir);
	} else {
		dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return berr_set(err, errno, "%s: %m", state_dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" SHIM_SOCK, dirfd);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_set(err, errno, "socket: %m");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = errno;
		close(fd);
		return berr_set(err, r, "cannot reach the shim of %s: %s", state_dir, strerror(r));
	}
	return fd;
}
