/* environment_file parsing (daemon/os/envfile.c): systemd EnvironmentFile= syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/os/envfile.h"
#include "util.h"

static char **parse_ok(const char *text)
{
	char **env = NULL, err[128] = "";
	int r = envfile_parse(text, strlen(text), &env, err, sizeof(err));
	if (r < 0)
		fail_msg("unexpected error: %s", err);
	return env;
}

static void parse_bad(const char *text, const char *want)
{
	char **env = NULL, err[128] = "";
	assert_int_equal(envfile_parse(text, strlen(text), &env, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	strv_free(env);
}

static void test_syntax(void **state)
{
	(void) state;
	char **env = parse_ok("# comment\n; also comment\n\nA=1\n  B = two words  \nC=\"quoted, with # and \\\"esc\\\"\"\n"
	                      "D='single $x \\n'\nexport E=exported\nF=\nG=\"multi\\nline\"\nH=cont\\\ninued\nA=override\n");
	assert_string_equal(strv_env_get(env, "A"), "override");
	assert_string_equal(strv_env_get(env, "B"), "two words");
	assert_string_equal(strv_env_get(env, "C"), "quoted, with # and \"esc\"");
	assert_string_equal(strv_env_get(env, "D"), "single $x \\n");
	assert_string_equal(strv_env_get(env, "E"), "exported");
	assert_string_equal(strv_env_get(env, "F"), "");
	assert_string_equal(strv_env_get(env, "G"), "multi\nline");
	assert_string_equal(strv_env_get(env, "H"), "continued");
	assert_int_equal(strv_length(env), 8);
	strv_free(env);
}

static void test_errors(void **state)
{
	(void) state;
	parse_bad("A=1\nnovalue\n", "2: expected KEY=value");
	parse_bad("1A=x\n", "1: expected KEY=value");
	parse_bad("A=\"open\n", "1: unterminated quote");
	parse_bad("A=\"x\" junk\n", "text after the closing quote");
	parse_bad("BAD-KEY=1\n", "expected KEY=value");
	char nul[] = "A=1\nB=\0x\n";
	char **env = NULL, err[64];
	assert_int_equal(envfile_parse(nul, sizeof(nul) - 1, &env, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2: NUL byte"));
	strv_free(env);
}

static void test_list(void **state)
{
	(void) state;
	char dir[] = "/tmp/test-envfile-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *a = xasprintf("%s/a.env", dir), *b = xasprintf("%s/b.env", dir);
	FILE *f = fopen(a, "w");
	fputs("X=from-a\nY=a\n", f);
	fclose(f);
	f = fopen(b, "w");
	fputs("Y=from-b\n", f);
	fclose(f);
	char *list = xasprintf("%s, -%s/missing.env ,%s", a, dir, b);
	char **env = NULL, err[256];
	assert_int_equal(envfile_load_list(list, &env, err, sizeof(err)), 0);
	assert_string_equal(strv_env_get(env, "X"), "from-a");
	assert_string_equal(strv_env_get(env, "Y"), "from-b");
	env = strv_free(env);
	free(list);
	list = xasprintf("%s/missing.env", dir);
	assert_int_equal(envfile_load_list(list, &env, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.env"));
	strv_free(env);
	free(list);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
}

/* A FIFO (whose open would block with no writer), a device and a directory are refused at
 * once, each with an error that names it; a symlink to a regular file is read. */
static void test_not_regular(void **state)
{
	(void) state;
	char dir[] = "/tmp/test-envfile-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *fifo = xasprintf("%s/fifo.env", dir), *real = xasprintf("%s/real.env", dir);
	char *link = xasprintf("%s/link.env", dir), *sub = xasprintf("%s/sub.env", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	FILE *f = fopen(real, "w");
	fputs("R=1\n", f);
	fclose(f);
	assert_int_equal(symlink(real, link), 0);
	char **env = NULL, err[256];
	assert_int_equal(envfile_load_list(fifo, &env, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fifo.env: not a regular file"));
	assert_int_equal(envfile_load_list("/dev/zero", &env, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/zero: not a regular file"));
	assert_int_equal(envfile_load_list(sub, &env, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "sub.env"));
	assert_null(env);
	assert_int_equal(envfile_load_list(link, &env, err, sizeof(err)), 0);
	assert_string_equal(strv_env_get(env, "R"), "1");
	strv_free(env);
	unlink(link);
	unlink(real);
	unlink(fifo);
	rmdir(sub);
	rmdir(dir);
	free(fifo);
	free(real);
	free(link);
	free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_not_regular),
	};
	return cmocka_run_group_tests_name("envfile", tests, NULL, NULL);
}
