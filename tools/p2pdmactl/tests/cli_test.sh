#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of p2pdmactl's command line (no module needed): help texts,
# usage errors and their exit codes, the man page covering every command.
# Prints TAP.  Usage: cli_test.sh BINARY MANPAGE
CTL=$1 MAN=$2
n=0 failed=0

t() {	# t NAME WANT-EXIT ARGS...
	name=$1 want=$2
	shift 2
	"$CTL" "$@" >/tmp/p2pdmactl-cli.$$ 2>&1
	got=$?
	n=$((n + 1))
	if [ "$got" -eq "$want" ]; then
		echo "ok $n p2pdmactl.cli_$name"
	else
		failed=$((failed + 1))
		echo "not ok $n p2pdmactl.cli_$name"
		echo "# exit $got, want $want: $(head -c 300 /tmp/p2pdmactl-cli.$$)"
	fi
}

echo "TAP version 13"
t no_args 2
t help 0 --help
t unknown_command 2 frobnicate
for c in load unload status set topology why providers buffers doctor; do
	t "help_$c" 0 "$c" --help
	n=$((n + 1))
	if grep -q "^\.B.*$c\|^\.BR $c\|^\.B $c" "$MAN"; then
		echo "ok $n p2pdmactl.cli_man_$c"
	else
		failed=$((failed + 1))
		echo "not ok $n p2pdmactl.cli_man_$c"
	fi
done
# Each command's --help states root need and exit codes, and the man page's
# "Per command" list says the same.
man_codes() {	# man_codes CMD: "root|noroot CODES" from the man page
	awk -v c=".B $1" '
		/^\.SS Per command/ { sec = 1; next }
		sec && /^\.S[HS]/ { sec = 0 }
		sec && $0 == c { on = 1; next }
		on && /^\./ { exit }
		on { print }' "$MAN" | tr '\n' ' ' |
		awk '{ r = /Needs root/ ? "root" : /Works without root/ ? "noroot" : "?"
		       gsub(/[^0-9]+/, " "); print r, $0 }' | tr -s ' ' | sed 's/ $//'
}
help_codes() {	# help_codes CMD: the same from CMD --help
	"$CTL" "$1" --help | awk '
		/^  root: needed$/ { r = "root" } /^  root: not needed$/ { r = "noroot" }
		/exit codes:/ { on = 1; sub(/.*exit codes:/, "") }
		on { s = s " " $0 }
		END { gsub(/[^0-9]+/, " ", s); print r, s }' | tr -s ' ' | sed 's/ $//'
}
for c in load unload status set topology why providers buffers doctor; do
	n=$((n + 1))
	m=$(man_codes "$c") h=$(help_codes "$c")
	if [ -n "$h" ] && [ "$m" = "$h" ] && [ "${h#* }" != "$h" ]; then
		echo "ok $n p2pdmactl.cli_exit_codes_$c"
	else
		failed=$((failed + 1))
		echo "not ok $n p2pdmactl.cli_exit_codes_$c"
		echo "# --help: '$h', man page: '$m'"
	fi
done
t load_not_param 2 load notaparam
t load_bad_param_name 2 load 'a-b=1'
t load_unknown_option 2 load --bogus
t unload_extra_arg 2 unload extra
# load goes through modprobe.d: its help and the man page say so.
n=$((n + 1))
if "$CTL" load --help | grep -q "bypassing modprobe.d" &&
	grep -q "^\.B /etc/modprobe.d/p2pdma-ext.conf" "$MAN"; then
	echo "ok $n p2pdmactl.cli_load_modprobe_d"
else
	failed=$((failed + 1))
	echo "not ok $n p2pdmactl.cli_load_modprobe_d"
fi
t status_bad_arg 2 status --bogus
t set_missing_value 2 set host_bridge_allow
t set_bad_name 2 set ../x 1
t topology_bad_spec 2 topology 12345
t topology_bad_option 2 topology --bogus
t why_one_arg 2 why 0000:01:00.0
t why_three_args 2 why a b c
t why_bad_spec 2 why xx yy
t providers_bad_arg 2 providers --bogus
t buffers_bad_arg 2 buffers --bogus
t buffers_extra_arg 2 buffers --json extra
t doctor_extra_arg 2 doctor extra
for code in 0 1 2 3 4 5 6; do
	n=$((n + 1))
	if grep -q "^\.B $code\$" "$MAN" && "$CTL" --help | grep -q "$code "; then
		echo "ok $n p2pdmactl.cli_exit_code_$code"
	else
		failed=$((failed + 1))
		echo "not ok $n p2pdmactl.cli_exit_code_$code"
	fi
done
rm -f /tmp/p2pdmactl-cli.$$
echo "1..$n"
[ "$failed" -eq 0 ]
