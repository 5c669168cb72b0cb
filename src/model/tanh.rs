//! The tanh model of SPEC §3 as a [`StepModel`]: a delegation to the methods of
//! [`StepParams`], which the sgd and averaged engines keep calling directly (their results
//! are unchanged by this seam).

use super::StepModel;
use crate::denoiser::StepParams;

impl StepModel for StepParams {
    fn d(&self) -> usize {
        StepParams::d(self)
    }
    fn params(&self) -> &[f64] {
        self.theta()
    }
    fn params_mut(&mut self) -> &mut [f64] {
        self.theta_mut()
    }
    fn eval(&self, x: &[f64], out: &mut [f64]) {
        StepParams::eval(self, x, out);
    }
    fn accumulate_sample_grad(&self, x: &[f64], x1: &[f64], scale: f64, grad: &mut [f64]) -> f64 {
        StepParams::accumulate_sample_grad(self, x, x1, scale, grad)
    }
    fn accumulate_ridge_grad(
        &self,
        lambda_u: f64,
        lambda_w: f64,
        scale: f64,
        grad: &mut [f64],
    ) -> f64 {
        StepParams::accumulate_ridge_grad(self, lambda_u, lambda_w, scale, grad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn tanh_gradient_through_the_seam_matches_finite_differences() {
        let mut rng = stream(31, 0, Purpose::Test, 0);
        let p = StepParams::init(5, &mut rng);
        crate::model::softmax::tests::check_fd(&p, 32);
    }
}
