//! Throughput of kim-cnn's convolution bank on one core (issue 14 point 3): one thread's chunk
//! of Kim's batch (25 of 50 texts, 60 steps, embedding 300, 100 filters of widths 3, 4, 5), its
//! forward (the shifts' products, the shifted adds and the max) and its sparse backward, under
//! the kernel set this CPU runs best. GFLOP/s count the products' `2·rows·E·S_j` alone, so the
//! forward's figure falls as the adds and the max around them cost more.
//! Usage: cargo run --release -p strata-nn --example kim_bank_speed [TEXTS]
mod timing;

use strata_nn::conv1d::bank::{BankGrads, ConvBank};
use strata_nn::conv1d::shifts::shift_product;
use timing::best;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(25);
    let (t, e, f, widths) = (60, 300, 100, vec![3, 4, 5]);
    let fill = |len: usize, r: usize, s: f32| {
        (0..len).map(|i| ((i * 7919) % r) as f32 * s - 0.5 * r as f32 * s).collect::<Vec<f32>>()
    };
    let x = fill(t * n * e, 101, 0.01);
    let ks: Vec<Vec<f32>> = widths.iter().map(|w| fill(w * e * f, 97, 0.002)).collect();
    let bs: Vec<Vec<f32>> = widths.iter().map(|_| fill(f, 13, 0.01)).collect();
    let (kr, br): (Vec<&[f32]>, Vec<&[f32]>) =
        (ks.iter().map(|k| &k[..]).collect(), bs.iter().map(|b| &b[..]).collect());
    let dy = fill(n * widths.len() * f, 11, 0.1);
    // the products' FMAs: shift j covers the rows of the narrowest width using it
    let fmas: usize = (0..5)
        .map(|j| {
            (t + 1 - widths.iter().filter(|&&w| w > j).min().unwrap())
                * n
                * e
                * f
                * widths.iter().filter(|&&w| w > j).count()
        })
        .sum();
    let reps = (2_000_000_000 / (2 * fmas)).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        // the products alone, one shift's [rows, E] · [E, S_j] at the bank's 4-step block
        let build = strata_nn::kernels::active();
        for cols in [300, 200, 100] {
            let (m, packed) = (4 * n, fill(e * cols, 89, 0.003));
            let mut out = vec![0.0; m * cols];
            let s = best(reps * 4, || shift_product(build, 1200, (m, e, cols), &x, &packed, &mut out));
            println!("product {m}x{e}x{cols}: {:.1} GFLOP/s", 2.0 * (m * e * cols) as f64 / s / 1e9);
        }
        let mut bank = ConvBank::new(e, f, widths.clone());
        let fw = best(reps, || bank.forward(&x, n, t, &kr, &br));
        println!("forward {n} texts: {:.3} ms, {:.1} GFLOP/s of products", fw * 1e3, 2.0 * fmas as f64 / fw / 1e9);
        let mut dk: Vec<Vec<f32>> = ks.iter().map(|k| vec![0.0; k.len()]).collect();
        let mut db: Vec<Vec<f32>> = bs.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut dx = vec![0.0; x.len()];
        let bw = best(reps, || {
            let (mut dkr, mut dbr): (Vec<&mut [f32]>, Vec<&mut [f32]>) =
                (dk.iter_mut().map(|v| &mut v[..]).collect(), db.iter_mut().map(|v| &mut v[..]).collect());
            bank.backward(&x, &kr, &dy, BankGrads { kernels: &mut dkr, biases: &mut dbr, dx: Some(&mut dx) })
        });
        println!("backward {n} texts: {:.3} ms ({:.0} % of forward)", bw * 1e3, 100.0 * bw / fw);
    });
}
