package net.koukan.spf;

/** Evaluation stops with {@link SpfResult#TEMPERROR} or {@link SpfResult#PERMERROR}. */
final class SpfException extends Exception {
  final SpfResult result;

  SpfException(SpfResult result, String message) {
    super(message, null, false, false);
    this.result = result;
  }

  static SpfException perm(String message) {
    return new SpfException(SpfResult.PERMERROR, message);
  }

  static SpfException temp(String message) {
    return new SpfException(SpfResult.TEMPERROR, message);
  }
}
