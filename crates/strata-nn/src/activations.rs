//! Element-wise activations used inside the recurrence.
//!
//! Written as plain loops over slices so the compiler can vectorise them; `exp` is the standard
//! library's (correctly rounded to ~1 ulp), which keeps results close to tf-keras's.

#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[inline]
pub fn tanh(x: f32) -> f32 {
    x.tanh()
}

pub fn sigmoid_slice(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = sigmoid(*x));
}

pub fn tanh_slice(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = tanh(*x));
}
