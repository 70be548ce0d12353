//! Which instruction set strata's own kernels run: portable Rust, AVX2+FMA, or AVX-512.
//!
//! The choice is made once per process, as OpenBLAS's `OPENBLAS_CORETYPE` is: the best set the
//! CPU has, unless `STRATA_KERNELS=portable|avx2|avx512` asks for another. Asking matters
//! because the sets do not all give the same bits: the AVX-512 big GEMM sums each output of a
//! width that is a multiple of 16 in one sequential FMA chain, where `matrixmultiply` (the AVX2
//! path) adds partial sums (at other widths the tiles keep `matrixmultiply`'s sums), so a
//! trained model's SHA-256 is only comparable under one choice (`tests/pinned.rs` runs with
//! `avx2`). The recurrence kernel and the gate math, by contrast, give the same bits under
//! AVX2 and AVX-512.
//!
//! It governs strata's own kernels (the recurrence product, the AVX-512 GEMM tiles, the
//! vectorised gate math, Adam, the skip-gram and sampled-softmax steps); `matrixmultiply`,
//! which takes the GEMMs those do not, detects the CPU by itself.
//!
//! The choice never exceeds what the CPU has: every `unsafe` kernel call relies on that.
//! A bad value is refused by [`from_env`] (the CLI calls it first and says so in one line);
//! [`active`] itself never fails and falls back to the best set the CPU has.

use std::fmt;
use std::sync::OnceLock;

/// The environment variable that overrides the choice.
pub const ENV: &str = "STRATA_KERNELS";

/// A set of kernels, ordered from least to most capable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kernels {
    /// Plain Rust, vectorised only as far as the compile target allows (SSE2 on x86-64).
    Portable,
    /// AVX2 and FMA, 256-bit.
    Avx2,
    /// AVX-512 F, 512-bit.
    Avx512,
}

impl Kernels {
    /// Every set, in order.
    pub const ALL: [Kernels; 3] = [Kernels::Portable, Kernels::Avx2, Kernels::Avx512];

    /// The name `STRATA_KERNELS` takes.
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Portable => "portable",
            Kernels::Avx2 => "avx2",
            Kernels::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the set.
    pub fn supported(self) -> bool {
        match self {
            Kernels::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512 => Kernels::Avx2.supported() && std::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The most capable set this CPU runs.
    pub fn best_available() -> Kernels {
        Kernels::ALL.into_iter().rev().find(|k| k.supported()).unwrap_or(Kernels::Portable)
    }

    /// The sets this CPU runs, least capable first (what the tests compare).
    pub fn available() -> impl Iterator<Item = Kernels> {
        Kernels::ALL.into_iter().filter(|k| k.supported())
    }
}

impl fmt::Display for Kernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why `STRATA_KERNELS` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelsError {
    /// Not one of the names.
    Unknown(String),
    /// A set this CPU does not have.
    Unsupported(Kernels),
}

impl fmt::Display for KernelsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let best = Kernels::best_available();
        match self {
            KernelsError::Unknown(v) => {
                write!(f, "{ENV}={v:?} is not a kernel set (hint: portable, avx2 or avx512; unset it for {best})")
            }
            KernelsError::Unsupported(k) => {
                write!(f, "{ENV}={k}: this CPU has no {k} (hint: the best it runs is {best}; unset {ENV} for it)")
            }
        }
    }
}

impl std::error::Error for KernelsError {}

/// Reads a value of `STRATA_KERNELS` (`None`: unset, the best the CPU has).
pub fn parse(value: Option<&str>) -> Result<Kernels, KernelsError> {
    let Some(v) = value else { return Ok(Kernels::best_available()) };
    let k = Kernels::ALL
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(v.trim()))
        .ok_or_else(|| KernelsError::Unknown(v.to_string()))?;
    if k.supported() {
        Ok(k)
    } else {
        Err(KernelsError::Unsupported(k))
    }
}

/// The set `STRATA_KERNELS` asks for, checked against this CPU.
pub fn from_env() -> Result<Kernels, KernelsError> {
    match std::env::var(ENV) {
        Ok(v) => parse(Some(&v)),
        Err(std::env::VarError::NotPresent) => parse(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(KernelsError::Unknown(v.to_string_lossy().into_owned())),
    }
}

/// The set every dispatching kernel uses, read once; a refused value means the best the CPU
/// has (the CLI refuses it before any kernel runs).
pub fn active() -> Kernels {
    static CHOICE: OnceLock<Kernels> = OnceLock::new();
    *CHOICE.get_or_init(|| from_env().unwrap_or_else(|_| Kernels::best_available()))
}

/// Defines, for a safe `#[inline(always)]` lane-wise `body`, its AVX2+FMA build, its AVX-512
/// build and the function that runs the build [`active`] chose (the body itself where neither
/// applies) — the one place that says how a gate-math loop meets the vector unit:
///
/// `compiled_per_kernels!(pub(crate) fn name / name_avx2 / name_avx512 (args…) => body);`
///
/// The two builds are named so that tests can compare their bits; calling one is `unsafe`: the
/// CPU must have what it was compiled for (`active() >= Kernels::Avx2`, or `active() >=
/// Kernels::Avx512`). The body is safe code; only the instructions it is compiled to need the
/// check, and being lane-wise its bits are the same in every build.
macro_rules! compiled_per_kernels {
    ($vis:vis fn $name:ident / $avx2:ident / $avx512:ident ($($arg:ident: $ty:ty),* $(,)?) => $body:ident) => {
        #[doc = concat!("[`", stringify!($body), "`] compiled for AVX2 and FMA.")]
        ///
        /// # Safety
        ///
        /// The CPU must have AVX2 and FMA (`kernels::active() >= Kernels::Avx2`).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        $vis unsafe fn $avx2($($arg: $ty),*) {
            $body($($arg),*)
        }

        #[doc = concat!("[`", stringify!($body), "`] compiled for AVX-512 F (16 lanes a vector).")]
        ///
        /// # Safety
        ///
        /// The CPU must have AVX-512 F, AVX2 and FMA (`kernels::active() >= Kernels::Avx512`).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        $vis unsafe fn $avx512($($arg: $ty),*) {
            $body($($arg),*)
        }

        #[doc = concat!("[`", stringify!($body), "`] in the build `kernels::active` chose.")]
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if $crate::kernels::active() >= $crate::kernels::Kernels::Avx512 {
                // SAFETY: the CPU has AVX-512 F, AVX2 and FMA (the choice never exceeds the CPU).
                return unsafe { $avx512($($arg),*) };
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::kernels::active() >= $crate::kernels::Kernels::Avx2 {
                // SAFETY: the CPU has AVX2 and FMA.
                return unsafe { $avx2($($arg),*) };
            }
            $body($($arg),*)
        }
    };
    // `… / with name_with (args…) => body`: also `name_with(kernels, args…)`, the build of a given
    // set (a caller's tests force each one); the set must be one the CPU has (panics otherwise).
    // Attributes after `with` are the function's: `with #[cfg(test)] name_with` for tests alone.
    ($vis:vis fn $name:ident / $avx2:ident / $avx512:ident / with $(#[$with_attr:meta])* $with:ident ($($arg:ident: $ty:ty),* $(,)?) => $body:ident) => {
        $crate::kernels::compiled_per_kernels!($vis fn $name / $avx2 / $avx512 ($($arg: $ty),*) => $body);

        #[doc = concat!("[`", stringify!($body), "`] in the build of `kernels`, which the CPU must have.")]
        $(#[$with_attr])*
        $vis fn $with(kernels: $crate::kernels::Kernels, $($arg: $ty),*) {
            assert!(kernels.supported(), "{kernels} kernels on a CPU without them");
            match kernels {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the CPU has AVX-512 F, AVX2 and FMA (asserted above).
                $crate::kernels::Kernels::Avx512 => unsafe { $avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the CPU has AVX2 and FMA (asserted above).
                $crate::kernels::Kernels::Avx2 => unsafe { $avx2($($arg),*) },
                _ => $body($($arg),*),
            }
        }
    };
}
pub(crate) use compiled_per_kernels;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_or_unsupported_sets_are_refused() {
        assert_eq!(parse(None), Ok(Kernels::best_available()));
        assert_eq!(parse(Some("portable")), Ok(Kernels::Portable));
        assert_eq!(parse(Some(" AVX2 ")).is_ok(), Kernels::Avx2.supported());
        assert!(matches!(parse(Some("sse9")), Err(KernelsError::Unknown(_))));
        for k in Kernels::ALL {
            match parse(Some(k.name())) {
                Ok(got) => assert!(got == k && k.supported()),
                Err(e) => assert!(e == KernelsError::Unsupported(k) && !k.supported()),
            }
        }
        let msg = parse(Some("sse9")).unwrap_err().to_string();
        assert!(msg.contains("STRATA_KERNELS=\"sse9\"") && msg.contains("(hint: portable, avx2 or avx512"), "{msg}");
    }

    #[test]
    fn the_active_set_is_one_the_cpu_runs() {
        assert!(active().supported());
        assert!(Kernels::available().any(|k| k == active()));
    }
}
