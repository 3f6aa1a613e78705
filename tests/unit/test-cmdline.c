/* The pure pieces of the config parser: word splitting and environment= (daemon/conf/cmdline.c),
 * %(name)s expansions (daemon/conf/expand.c) and value parsers (daemon/conf/config-keys.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/cmdline.h"
#include "daemon/conf/config-keys.h"
#include "daemon/conf/expand.h"
#include "daemon/conf/suggest.h"
#include "util.h"

static void split_is(const char *s, const char *const *want, size_t n)
{
	char **v = NULL, *err = NULL;
	int r = cmdline_split(s, &v, &err);
	if (r < 0)
		fail_msg("'%s': %s", s, err);
	assert_int_equal(r, (int) n);
	assert_int_equal(strv_length(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	strv_free(v);
}

static void split_bad(const char *s, const char *what)
{
	char **v = (char **) 1, *err = NULL;
	assert_int_equal(cmdline_split(s, &v, &err), -EINVAL);
	assert_ptr_equal(v, (char **) 1);          /* untouched on failure */
	if (!strstr(err, what))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, what);
	free(err);
}

static void test_split(void **state)
{
	(void) state;
	split_is("", NULL, 0);
	split_is("  \t\n ", NULL, 0);
	split_is("a", (const char *const[]) { "a" }, 1);
	split_is("  a  b\tc\nd ", (const char *const[]) { "a", "b", "c", "d" }, 4);
	split_is("'a b' \"c d\"", (const char *const[]) { "a b", "c d" }, 2);
	split_is("x'a'\"b\"y", (const char *const[]) { "xaby" }, 1);
	split_is("'' \"\"", (const char *const[]) { "", "" }, 2);
	split_is("'\\n \"'", (const char *const[]) { "\\n \"" }, 1);
	split_is("\"a\\\"b\\\\c\\d\"", (const char *const[]) { "a\"b\\c\\d" }, 1);
	split_is("a\\ b \\'c\\\" \\\\", (const char *const[]) { "a b", "'c\"", "\\" }, 3);
	split_is("a\\\nb", (const char *const[]) { "ab" }, 1);
	split_is("$HOME *.c ~ a|b >x", (const char *const[]) { "$HOME", "*.c", "~", "a|b", ">x" }, 5);
	split_bad("'abc", "unterminated single quote");
	split_bad("a \"abc", "unterminated double quote");
	split_bad("a \"ab\\\"", "unterminated double quote");
	split_bad("abc\\", "trailing backslash");
}

static void env_is(const char *s, const char *const *kv, size_t n)
{
	char **k = NULL, **v = NULL, *err = NULL;
	int r = cmdline_env_parse(s, &k, &v, &err);
	if (r < 0)
		fail_msg("'%s': %s", s, err);
	assert_int_equal(r, (int) n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(k[i], kv[2 * i]);
		assert_string_equal(v[i], kv[2 * i + 1]);
	}
	assert_null(k[n]);
	strv_free(k);
	strv_free(v);
}

static void env_bad(const char *s, const char *what)
{
	char **k = NULL, **v = NULL, *err = NULL;
	assert_int_equal(cmdline_env_parse(s, &k, &v, &err), -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, what);
	free(err);
}

static void test_env(void **state)
{
	(void) state;
	env_is("", NULL, 0);
	env_is("A=1", (const char *const[]) { "A", "1" }, 1);
	env_is(" A = 1 , B=2,", (const char *const[]) { "A", "1", "B", "2" }, 2);
	env_is("A=\"x, y\",B='p,q',C=a\\,b", (const char *const[]) { "A", "x, y", "B", "p,q", "C", "a,b" }, 3);
	env_is("A=\nB=2\n  C=3", (const char *const[]) { "A", "", "B", "2", "C", "3" }, 3);
	env_is("PATH=/a:/b,URL=http://h:80/x?y=1&z", (const char *const[]) { "PATH", "/a:/b", "URL", "http://h:80/x?y=1&z" }, 2);
	env_is("A=1,A=2", (const char *const[]) { "A", "1", "A", "2" }, 2);
	env_is("my.key=v", (const char *const[]) { "my.key", "v" }, 1);
	/* an unquoted value keeps its inner blanks (the whole value), not its outer ones */
	env_is("A=hello world ,B= x  y ", (const char *const[]) { "A", "hello world", "B", "x  y" }, 2);
	env_is("JAVA_OPTS=-Xmx1g -Dx=1", (const char *const[]) { "JAVA_OPTS", "-Xmx1g -Dx=1" }, 1);
	env_is("A=\"x \" ", (const char *const[]) { "A", "x " }, 1);
	env_bad("A", "expected '=' after 'A'");
	env_bad("=1", "expected KEY=VALUE");
	env_bad(",A=1", "empty entry");
	env_bad("A=1,,B=2", "empty entry");
	env_bad("A=1 B=2", "expected ','");     /* a missing comma, not a value with a blank */
	env_bad("A=x y=z", "expected ',' after the value of A, at 'y=z'");
	env_bad("A=\"x", "value of A: unterminated double quote");
	env_bad("A='x", "unterminated single quote");
	env_bad("A=x\\", "trailing backslash");
}

/* What supervisord 4.2.5 reads from an environment= line, as measured with it. */
static void sv_env_is(const char *s, const char *const *kv, int n)
{
	char **k = NULL, **v = NULL;
	int r = cmdline_env_supervisord(s, &k, &v);
	if (r != n)
		fail_msg("'%s': %d pairs, want %d", s, r, n);
	for (int i = 0; i < n; i++) {
		assert_string_equal(k[i], kv[2 * i]);
		assert_string_equal(v[i], kv[2 * i + 1]);
	}
	if (n >= 0)
		assert_null(k[n]);
	strv_free(k);
	strv_free(v);
}

static void test_env_supervisord(void **state)
{
	(void) state;
	sv_env_is("A=1,B=2", (const char *const[]) { "A", "1", "B", "2" }, 2);
	sv_env_is("A=hello world", (const char *const[]) { "A", "hello" }, 1);
	sv_env_is("B=x,A=hello world", (const char *const[]) { "B", "x", "A", "hello" }, 2);
	sv_env_is("A=http://h:80/x?y=1", (const char *const[]) { "A", "http://h:80/x", "y", "1" }, 2);
	sv_env_is("A=x#y", (const char *const[]) { "A", "x" }, 1);
	sv_env_is("A=1 2 B=3", (const char *const[]) { "A", "1", "B", "3" }, 2);
	sv_env_is("A='x y',B=\"p,q\"", (const char *const[]) { "A", "x y", "B", "p,q" }, 2);
	sv_env_is("A=a\"b c\"", (const char *const[]) { "A", "a\"b" }, 1);
	sv_env_is("A=1,A=2", (const char *const[]) { "A", "2" }, 1);
	sv_env_is("K=caf\xc3\xa9", (const char *const[]) { "K", "caf" }, 1);    /* é is one character, skipped */
	sv_env_is("", NULL, 0);
	/* refused by supervisord */
	sv_env_is("A=hello world,B=x", NULL, -EINVAL);
	sv_env_is("A=1\n  B=2", NULL, -EINVAL);
	sv_env_is("A=,B=1", NULL, -EINVAL);
	sv_env_is("A=\"x", NULL, -EINVAL);
	sv_env_is("A", NULL, -EINVAL);
}

static void test_suggest(void **state)
{
	(void) state;
	assert_int_equal(suggest_distance("autorestat", "autorestart", 5), 1);
	assert_int_equal(suggest_distance("stopsingal", "stopsignal", 5), 1);      /* a swap is one edit */
	assert_int_equal(suggest_distance("TERM", "term", 5), 0);
	assert_int_equal(suggest_distance("abc", "xyzxyz", 2), 3);                 /* stops above the limit */
	assert_int_equal(suggest_distance("", "ab", 5), 2);
	struct suggest sg;
	suggest_init(&sg, "comand");
	suggest_offer(&sg, "numprocs");
	suggest_offer(&sg, "command");
	suggest_offer(&sg, "commands");
	assert_string_equal(suggest_result(&sg), "command");
	suggest_init(&sg, "xy");                    /* a short word: only a change of case */
	suggest_offer(&sg, "xz");
	assert_null(suggest_result(&sg));
	suggest_offer(&sg, "XY");
	assert_string_equal(suggest_result(&sg), "XY");
	suggest_init(&sg, "user");
	suggest_offer(&sg, "umask");
	assert_null(suggest_result(&sg));           /* three edits: not a typo */
	char buf[32];
	assert_string_equal(config_key_suggest(CONF_KEYS_PROGRAM, "autorestat", buf, sizeof(buf)), "autorestart");
	assert_string_equal(config_key_suggest(CONF_KEYS_SUPERVISORD, "logfiel", buf, sizeof(buf)), "logfile");
	assert_null(config_key_suggest(CONF_KEYS_GROUP, "command", buf, sizeof(buf)));
	assert_true(config_key_known(CONF_KEYS_PROGRAM, "stdout_syslog"));
	assert_false(config_key_known(CONF_KEYS_PROGRAM, "group"));
	assert_true(config_key_known(CONF_KEYS_INCLUDE, "files"));
}

static void expand_is(const char *in, const struct expand_ctx *c, const char *want)
{
	char *out = NULL, *err = NULL;
	if (expand_string(in, c, &out, &err) < 0)
		fail_msg("'%s': %s", in, err);
	assert_string_equal(out, want);
	free(out);
}

static void expand_bad(const char *in, const struct expand_ctx *c, const char *what)
{
	char *out = (char *) 1, *err = NULL;
	assert_int_equal(expand_string(in, c, &out, &err), -EINVAL);
	assert_ptr_equal(out, (char *) 1);
	if (!strstr(err, what))
		fail_msg("'%s': error '%s' lacks '%s'", in, err, what);
	free(err);
}

static void test_expand(void **state)
{
	(void) state;
	char l1[] = "X=local", g1[] = "X=global", g2[] = "Y=gy", g3[] = "N=42";
	char *local[] = { l1, NULL }, *global[] = { g1, g2, g3, NULL };
	struct expand_ctx c = { .program_name = "web", .group_name = "grp", .here = "/etc/d", .host_node_name = "h1",
	                        .process_num = 7, .numprocs = 12, .env = { local, global, NULL } };
	expand_is("", &c, "");
	expand_is("plain", &c, "plain");
	expand_is("%(program_name)s-%(group_name)s@%(host_node_name)s:%(here)s", &c, "web-grp@h1:/etc/d");
	expand_is("%(process_num)d %(process_num)03d %(process_num)-3d| %(process_num)3d %(process_num)+d", &c,
	          "7 007 7  |   7 +7");
	expand_is("%(process_num)s %(numprocs)i %(numprocs)u %(process_num).3d %(process_num)ld", &c, "7 12 12 007 7");
	expand_is("[%(program_name)5s][%(program_name)-5s][%(program_name).1s]", &c, "[  web][web  ][w]");
	expand_is("%(ENV_X)s %(ENV_Y)s %(ENV_N)04d", &c, "local gy 0042");
	expand_is("100%% %%(x)s", &c, "100% %(x)s");
	expand_bad("%(nope)s", &c, "unknown name '%(nope)'");
	expand_bad("%(ENV_)s", &c, "unknown name");
	expand_bad("%(ENV_UNSET_Z)s", &c, "is not set");
	expand_bad("%(program_name", &c, "unterminated");
	expand_bad("%(program_name)", &c, "needs a conversion");
	expand_bad("%(program_name)x", &c, "needs a conversion");
	expand_bad("%(program_name)d", &c, "needs a number");
	expand_bad("a % b", &c, "write '%%'");
	expand_bad("50%", &c, "write '%%'");
	expand_bad("%(process_num)99999d", &c, "too large");
	struct expand_ctx bare = { .here = "/", .process_num = -1, .numprocs = -1 };
	expand_bad("%(process_num)d", &bare, "unknown name");
	expand_bad("%(program_name)s", &bare, "unknown name");
	expand_is("%(here)s", &bare, "/");
}

static void test_values(void **state)
{
	(void) state;
	bool b;
	int64_t i;
	uint64_t u;
	unsigned o;
	uint8_t bits[32];

	assert_int_equal(config_value_bool("On", &b), 0);
	assert_true(b);
	assert_int_equal(config_value_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(config_value_bool("", &b), -EINVAL);
	assert_int_equal(config_value_bool("2", &b), -EINVAL);
	assert_int_equal(config_value_bool("truee", &b), -EINVAL);

	assert_int_equal(config_value_int("-5", -10, 10, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(config_value_int("+5", -10, 10, &i), 0);
	assert_int_equal(config_value_int("11", -10, 10, &i), -ERANGE);
	assert_int_equal(config_value_int("99999999999999999999", 0, 10, &i), -ERANGE);
	assert_int_equal(config_value_int(" 5", 0, 10, &i), -EINVAL);
	assert_int_equal(config_value_int("5\n6", 0, 10, &i), -EINVAL);
	assert_int_equal(config_value_int("0x10", 0, 100, &i), -EINVAL);
	assert_int_equal(config_value_int("", 0, 10, &i), -EINVAL);
	assert_int_equal(config_value_int("-", 0, 10, &i), -EINVAL);

	assert_int_equal(config_value_size("50MB", UINT64_MAX, &u), 0);
	assert_int_equal(u, 50ULL << 20);
	assert_int_equal(config_value_size("1kb", UINT64_MAX, &u), 0);
	assert_int_equal(u, 1024);
	assert_int_equal(config_value_size("2 GB", UINT64_MAX, &u), 0);
	assert_int_equal(u, 2ULL << 30);
	assert_int_equal(config_value_size("0", UINT64_MAX, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(config_value_size("MB", UINT64_MAX, &u), -EINVAL);
	assert_int_equal(config_value_size("1.5MB", UINT64_MAX, &u), -EINVAL);
	assert_int_equal(config_value_size("1TB", UINT64_MAX, &u), -EINVAL);
	assert_int_equal(config_value_size("-1", UINT64_MAX, &u), -ERANGE);
	assert_int_equal(config_value_size("9999999999999GB", UINT64_MAX, &u), -ERANGE);
	assert_int_equal(config_value_size("2KB", 1024, &u), -ERANGE);

	assert_int_equal(config_value_octal("022", 0777, &o), 0);
	assert_int_equal(o, 022);
	assert_int_equal(config_value_octal("0", 0777, &o), 0);
	assert_int_equal(config_value_octal("8", 0777, &o), -EINVAL);
	assert_int_equal(config_value_octal("", 0777, &o), -EINVAL);
	assert_int_equal(config_value_octal("1000", 0777, &o), -ERANGE);

	assert_int_equal(config_value_exitcodes("0, 2,255", bits), 0);
	assert_int_equal(bits[0], 0x05);
	assert_int_equal(bits[31], 0x80);
	assert_int_equal(config_value_exitcodes("", bits), 0);
	assert_int_equal(bits[0], 0);
	assert_int_equal(config_value_exitcodes("1,", bits), -EINVAL);
	assert_int_equal(config_value_exitcodes("-1", bits), -ERANGE);
	assert_int_equal(config_value_exitcodes("256", bits), -ERANGE);

	static const char *const names[] = { "linear", "exponential", NULL };
	assert_int_equal(config_value_enum("Exponential", names), 1);
	assert_int_equal(config_value_enum("log", names), -EINVAL);

	assert_int_equal(program_key_lookup("command"), PK_COMMAND);
	assert_int_equal(program_key_lookup("Command"), -1);       /* callers lower-case first */
	assert_int_equal(program_key_lookup("comand"), -1);
	assert_true(program_key_supervisord_only("serverurl"));
	assert_false(program_key_supervisord_only("command"));
	assert_true(supervisord_key_known("nodaemon"));
	assert_false(supervisord_key_known("pidfile"));     /* used: [supervisord] pidfile is honoured */
	for (int k = 0; k < PK_MAX; k++)
		assert_non_null(program_keys[k].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_env_supervisord),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
