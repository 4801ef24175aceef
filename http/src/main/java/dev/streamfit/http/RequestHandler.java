package dev.streamfit.http;

/**
 * Answers one whole request on a worker thread. Must be thread-safe: workers call it concurrently. An
 * {@link HttpError} it throws is answered with its status and JSON body (not logged); any other exception is
 * answered 500 {@code internal_error} and logged; neither closes the server.
 */
@FunctionalInterface
public interface RequestHandler {
  Response handle(Request request) throws Exception;
}
