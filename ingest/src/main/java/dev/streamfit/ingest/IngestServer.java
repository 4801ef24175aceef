package dev.streamfit.ingest;

/** A running HTTP ingest endpoint ({@link IngestStage#serveHttp}). Thread-safe; close it to stop. */
public interface IngestServer extends AutoCloseable {
  /** The bound port. */
  int port();

  /** Stops listening and closes the producer (commits are per request, so nothing accepted is lost). */
  @Override
  void close();
}
