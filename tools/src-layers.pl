#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# src-layers.pl DIR: the layering rules of the module's sources.
#
#   calls  - no cycles between files: for every C file and header in DIR,
#            the functions it defines (a body at brace depth 0) and the
#            functions it calls (an identifier followed by "(" inside a
#            body); file A depends on file B when A calls a function B
#            defines. Prints each group of files that depend on each
#            other in a circle, with one call that closes it.
#   edges  - (not a rule) print what each file calls: "FILE: FILE...".
#   shim   - the compatibility shim rule: P2PDMA_EXT_HAVE_* and kernel
#            version tests (LINUX_VERSION_CODE, KERNEL_VERSION) appear
#            only in compat.c and compat.h.
#
# Prints "RULE: file:line: what" for each breach; exits 1 if there was
# one, 0 otherwise. Usage: src-layers.pl [--rule calls|shim] DIR
use strict;
use warnings;

my $only = '';
if (@ARGV && $ARGV[0] eq '--rule') {
	shift;
	$only = shift // '';
}
my $dir = shift or die "usage: $0 [--rule calls|shim|edges] DIR\n";
opendir(my $dh, $dir) or die "$dir: $!\n";
my @files = sort grep { /\.[ch]$/ && -f "$dir/$_" } readdir($dh);
closedir($dh);

my %keyword = map { $_ => 1 } qw(if for while switch return sizeof
	typeof __typeof__ defined do else case goto __attribute__ asm
	__builtin_expect likely unlikely);
my $bad = 0;

# Source text without comments, strings and character literals (their
# newlines kept, so line numbers still hold).
sub strip {
	my ($s) = @_;
	$s =~ s{/\*.*?\*/}{ my $c = $&; $c =~ tr/\n//cd; $c }gse;
	$s =~ s{//[^\n]*}{}g;
	$s =~ s{"(?:\\.|[^"\\\n])*"}{""}g;
	$s =~ s{'(?:\\.|[^'\\\n])*'}{''}g;
	# Preprocessor lines (and their continuations) are not code.
	$s =~ s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg;
	return $s;
}

my (%defs, %calls);	# file -> { name -> line }
for my $f (@files) {
	open(my $fh, '<', "$dir/$f") or die "$dir/$f: $!\n";
	local $/;
	my $text = <$fh>;
	close($fh);

	if ($f !~ /^compat\.[ch]$/ && (!$only || $only eq 'shim')) {
		my $ln = 0;
		for my $line (split /\n/, $text) {
			$ln++;
			next if $line =~ m{^\s*(?:/?\*|//)};
			if ($line =~ /\b(P2PDMA_EXT_HAVE_\w+|LINUX_VERSION_CODE|KERNEL_VERSION)\b/) {
				print "shim: $f:$ln: $1 outside compat.[ch]\n";
				$bad = 1;
			}
		}
	}

	my $code = strip($text);
	my ($depth, $line, $pending) = (0, 1, undef);
	my %d;
	my %c;
	while ($code =~ /\G(?:(\n)|([A-Za-z_]\w*)(?=\s*\()|([{}])|(;)|([^\n{};A-Za-z_]+|[A-Za-z_]\w*))/gc) {
		if (defined $1) {
			$line++;
		} elsif (defined $2) {
			next if $keyword{$2};
			if ($depth == 0) {
				$pending //= [$2, $line];
			} else {
				$c{$2} //= $line;
			}
		} elsif (defined $3) {
			if ($3 eq '{') {
				$d{$pending->[0]} //= $pending->[1]
					if $depth == 0 && $pending;
				$depth++;
			} else {
				$depth-- if $depth > 0;
			}
			$pending = undef if $depth == 0;
		} elsif (defined $4) {
			$pending = undef if $depth == 0;
		}
	}
	$defs{$f} = \%d;
	$calls{$f} = \%c;
}

exit $bad if $only eq 'shim';

# Who defines what (a name defined in several files - static helpers
# of the same name - gives no edge).
my %owner;
for my $f (@files) {
	for my $n (keys %{ $defs{$f} }) {
		$owner{$n} = exists $owner{$n} ? '' : $f;
	}
}
my %edge;	# file -> { file -> "name (line)" }
for my $f (@files) {
	for my $n (sort keys %{ $calls{$f} }) {
		next if exists $defs{$f}{$n};
		my $o = $owner{$n};
		next unless $o && $o ne $f;
		$edge{$f}{$o} //= "$n() at $f:$calls{$f}{$n}";
	}
}

if ($only eq 'edges') {
	for my $f (@files) {
		my @to = sort keys %{ $edge{$f} || {} };
		print "$f: @to\n" if @to;
	}
	exit 0;
}

# Tarjan's strongly connected components.
my ($index, @stack, %idx, %low, %on) = (0);
my @cycles;
sub visit {
	my ($v) = @_;
	$idx{$v} = $low{$v} = $index++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (sort keys %{ $edge{$v} || {} }) {
		if (!exists $idx{$w}) {
			visit($w);
			$low{$v} = $low{$w} if $low{$w} < $low{$v};
		} elsif ($on{$w}) {
			$low{$v} = $idx{$w} if $idx{$w} < $low{$v};
		}
	}
	return unless $low{$v} == $idx{$v};
	my @scc;
	my $w;
	do {
		$w = pop @stack;
		$on{$w} = 0;
		push @scc, $w;
	} while ($w ne $v);
	push @cycles, [sort @scc] if @scc > 1;
}
for my $f (@files) {
	visit($f) unless exists $idx{$f};
}
for my $scc (@cycles) {
	my %in = map { $_ => 1 } @$scc;
	my @why;
	for my $a (@$scc) {
		for my $b (sort keys %{ $edge{$a} || {} }) {
			push @why, "$a -> $b: $edge{$a}{$b}" if $in{$b};
		}
	}
	print "calls: cycle between ", join(', ', @$scc), "\n";
	print "calls:   $_\n" for @why;
	$bad = 1;
}
exit $bad;
