/** The {@code koukan} command line (picocli): one subcommand per program or tool. May import everything. */
package net.koukan.cli;
