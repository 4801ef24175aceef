package dev.streamfit.imaging;

import dev.streamfit.schemas.RejectReason;
import java.util.Objects;

/** An input image refused before or during decoding, with a stable reason code. */
public final class ImageRejectedException extends Exception {
  private static final long serialVersionUID = 1L;
  private final RejectReason reason;

  public ImageRejectedException(RejectReason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the image was refused; never null. */
  public RejectReason reason() {
    return reason;
  }
}
