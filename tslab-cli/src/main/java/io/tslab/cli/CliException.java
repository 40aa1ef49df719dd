package io.tslab.cli;

/** An ordinary failure (bad input, dead target): printed as one line, no stack trace unless --verbose. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    static CliException badInput(String message) {
        return new CliException(Tslab.EXIT_BAD_INPUT, message);
    }
}
