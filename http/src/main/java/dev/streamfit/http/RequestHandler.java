package dev.streamfit.http;

/**
 * Answers one whole request on a worker thread. Must be thread-safe: workers call it concurrently. An exception
 * it throws is answered 500 {@code internal_error} and logged; it never closes the server.
 */
@FunctionalInterface
public interface RequestHandler {
  Response handle(Request request) throws Exception;
}
