package dev.streamfit.pipeline;

import dev.streamfit.imaging.DecodeLimits;
import picocli.CommandLine.Option;

/** The image decode guards ({@link DecodeLimits}) of every stage that takes images: serve, demo, augment, ingest. */
public final class DecodeOptions {
  @Option(names = "--decode-max-bytes", defaultValue = "16777216",
      description = "Largest encoded image; larger is refused as too_large (default ${DEFAULT-VALUE}).")
  public int maxBytes;

  @Option(names = "--decode-max-side", defaultValue = "8192",
      description = "Largest width or height an image may declare; else dimensions_too_large (default ${DEFAULT-VALUE}).")
  public int maxSide;

  @Option(names = "--decode-max-pixels", defaultValue = "40000000",
      description = "Most pixels an image may declare; else dimensions_too_large (default ${DEFAULT-VALUE}).")
  public long maxPixels;

  @Option(names = "--decode-max-scans", defaultValue = "64", description = "Most scans of a progressive JPEG; more, or "
      + "scans x pixels above 16 x --decode-max-pixels, is refused as decode_cost (default ${DEFAULT-VALUE}).")
  public int maxScans;

  public DecodeLimits limits() {
    return new DecodeLimits(maxBytes, maxSide, maxPixels, maxScans);
  }
}
