"""Pure numpy maths of each model: likelihoods, gradients, expectations. No pandas, no state."""
