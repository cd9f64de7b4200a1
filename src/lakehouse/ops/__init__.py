"""Operations: alerts as code, their destinations and the incidents they open."""
