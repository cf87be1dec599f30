#include "learning/gru_cell.h"

namespace neurovec::learning {
namespace {

Matrix SigmoidOf(const Matrix& a) { return (1.0f + (-a.array()).exp()).inverse().matrix(); }

}  // namespace

GruCell::GruCell(const std::string& name, int input_dim, int hidden_dim, Random& rng)
    : w_z_(name + ".w_z", input_dim, hidden_dim),
      w_r_(name + ".w_r", input_dim, hidden_dim),
      w_n_(name + ".w_n", input_dim, hidden_dim),
      u_z_(name + ".u_z", hidden_dim, hidden_dim),
      u_r_(name + ".u_r", hidden_dim, hidden_dim),
      u_n_(name + ".u_n", hidden_dim, hidden_dim),
      b_z_(name + ".b_z", 1, hidden_dim),
      b_r_(name + ".b_r", 1, hidden_dim),
      b_n_(name + ".b_n", 1, hidden_dim),
      b_hn_(name + ".b_hn", 1, hidden_dim) {
  for (Parameter* p : {&w_z_, &w_r_, &w_n_, &u_z_, &u_r_, &u_n_}) GlorotInit(p->value, rng);
}

Matrix GruCell::Forward(const Matrix& x, const Matrix& h, GruCache* cache) const {
  Matrix az = x * w_z_.value + h * u_z_.value;
  az.rowwise() += b_z_.value.row(0);
  Matrix ar = x * w_r_.value + h * u_r_.value;
  ar.rowwise() += b_r_.value.row(0);
  Matrix hn = h * u_n_.value;
  hn.rowwise() += b_hn_.value.row(0);
  Matrix z = SigmoidOf(az);
  Matrix r = SigmoidOf(ar);
  Matrix an = x * w_n_.value + r.cwiseProduct(hn);
  an.rowwise() += b_n_.value.row(0);
  Matrix n = an.array().tanh().matrix();
  Matrix out = (1.0f - z.array()).matrix().cwiseProduct(n) + z.cwiseProduct(h);
  if (cache) {
    cache->x = x;
    cache->h = h;
    cache->z = std::move(z);
    cache->r = std::move(r);
    cache->n = std::move(n);
    cache->hn = std::move(hn);
  }
  return out;
}

GruGradients GruCell::Backward(const Matrix& dh_next, const GruCache& c) {
  const Matrix dn = dh_next.cwiseProduct((1.0f - c.z.array()).matrix());
  const Matrix dz = dh_next.cwiseProduct(c.h - c.n);
  const Matrix dan = dn.cwiseProduct((1.0f - c.n.array().square()).matrix());
  const Matrix dr = dan.cwiseProduct(c.hn);
  const Matrix dhn = dan.cwiseProduct(c.r);
  const Matrix daz = dz.cwiseProduct((c.z.array() * (1.0f - c.z.array())).matrix());
  const Matrix dar = dr.cwiseProduct((c.r.array() * (1.0f - c.r.array())).matrix());

  const Matrix xt = c.x.transpose();
  const Matrix ht = c.h.transpose();
  w_z_.grad.noalias() += xt * daz;
  w_r_.grad.noalias() += xt * dar;
  w_n_.grad.noalias() += xt * dan;
  u_z_.grad.noalias() += ht * daz;
  u_r_.grad.noalias() += ht * dar;
  u_n_.grad.noalias() += ht * dhn;
  b_z_.grad += daz.colwise().sum();
  b_r_.grad += dar.colwise().sum();
  b_n_.grad += dan.colwise().sum();
  b_hn_.grad += dhn.colwise().sum();

  GruGradients g;
  g.dx = daz * w_z_.value.transpose() + dar * w_r_.value.transpose() + dan * w_n_.value.transpose();
  g.dh = dh_next.cwiseProduct(c.z) + daz * u_z_.value.transpose() + dar * u_r_.value.transpose() +
         dhn * u_n_.value.transpose();
  return g;
}

void GruCell::CollectParameters(ParameterSet& set) {
  for (Parameter* p : {&w_z_, &w_r_, &w_n_, &u_z_, &u_r_, &u_n_, &b_z_, &b_r_, &b_n_, &b_hn_}) set.Add(p);
}

}  // namespace neurovec::learning
